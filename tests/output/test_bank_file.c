/* Tests of the bank file writer (src/output/bank_file.c): the pain.001 it
 * writes validates against the ISO 20022 schema (tests/fixtures/bank/, no
 * network), carries each value in the element docs/formats.md names, keeps its
 * control totals at both levels, refuses values the schema cannot carry, and
 * reads back to the totals it was written with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "rebate/bank.h"
#include "test_support.h"

#define NS "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"

static const char *work;
static char xml_path[4200];

static void setup(void)
{
    work = strdup(ts_tmpdir());
    snprintf(xml_path, sizeof xml_path, "%s/payout.xml", work);
}

static void teardown(void)
{
    ts_rmtree(work);
    free((void *)work);
}

/* Three payments: a CNAPS code and a bank name, a bank name only, neither. */
static const rb_bank_payment three[] = {
    {"2022-91210302MA00000011-1", 324000, "鞍山市铁东区晨光商贸有限公司", "6222020708001234567", "102223000011",
     "中国工商银行鞍山分行"},
    {"2022-91210302MA00000029-2", 1, "鞍山市铁西区红旗五金有限公司", "0401020309000123", NULL, "中国银行鞍山分行"},
    {"2022-91210302MA00000037-1", 123456789, "鞍山市立山区远航物流有限公司", "12345678", "", NULL},
};

static rb_bank_header header_for(int64_t count, rb_fen total)
{
    rb_bank_header h = {
        .batch_id = "2022-20261127-001",
        .created_at = "2026-11-28T01:02:03Z",
        .execution_date = "2026-11-28",
        .policy_year = 2022,
        .count = count,
        .total = total,
        .debtor = {.name = "鞍山市社会保险事业服务中心", .account = "0000000000000000000", .bank_code = "102223000000",
                   .bank_name = "中国工商银行股份有限公司鞍山分行"},
    };
    return h;
}

/* Writes a file of n payments with the header's totals computed here. */
static rb_status write_payments(const rb_bank_header *h, const rb_bank_payment *payments, size_t n, rb_error *err)
{
    FILE *f = fopen(xml_path, "wb");
    ck_assert_ptr_nonnull(f);
    rb_bank_writer *w = NULL;
    rb_status st = rb_bank_file_begin(f, xml_path, h, &w, err);
    for (size_t i = 0; st == RB_OK && i < n; i++)
        st = rb_bank_file_add(w, &payments[i], err);
    if (st == RB_OK)
        st = rb_bank_file_end(w, err);
    else
        rb_bank_file_abandon(w);
    ck_assert_int_eq(fclose(f), 0);
    return st;
}

static void print_error(void *context, xmlErrorPtr error)
{
    (void)context;
    fprintf(stderr, "schema: line %d: %s", error->line, error->message ? error->message : "?\n");
}

/* 0 when the file validates against the schema; libxml2's messages go to
 * stderr to say why not. */
static int validate(const char *document)
{
    char path[4300];
    snprintf(path, sizeof path, "%s", document); /* ts_fixture's buffer is reused below */
    xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(ts_fixture("bank/pain.001.001.03.xsd"));
    ck_assert_ptr_nonnull(parser);
    xmlSchemaPtr schema = xmlSchemaParse(parser);
    ck_assert_ptr_nonnull(schema);
    xmlSchemaValidCtxtPtr valid = xmlSchemaNewValidCtxt(schema);
    xmlSchemaSetValidStructuredErrors(valid, print_error, NULL);
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    int rc = doc ? xmlSchemaValidateDoc(valid, doc) : -1;
    xmlFreeDoc(doc);
    xmlSchemaFreeValidCtxt(valid);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(parser);
    return rc;
}

/* The string value of an XPath expression over the file (prefix p: for the
 * pain.001 namespace), malloc'ed. */
static char *xpath(const char *path, const char *expr)
{
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    ck_assert_ptr_nonnull(doc);
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, BAD_CAST "p", BAD_CAST NS);
    xmlXPathObjectPtr result = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    ck_assert_msg(result != NULL, "bad expression %s", expr);
    xmlChar *text = xmlXPathCastToString(result);
    char *copy = strdup((const char *)text);
    xmlFree(text);
    xmlXPathFreeObject(result);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return copy;
}

static void assert_xpath(const char *expr, const char *expected)
{
    char *value = xpath(xml_path, expr);
    ck_assert_msg(strcmp(value, expected) == 0, "%s: got '%s', expected '%s'", expr, value, expected);
    free(value);
}

START_TEST(validator_accepts_the_iso_example_and_refuses_a_broken_file)
{
    /* Positive control: the schema and validator work. */
    ck_assert_int_eq(validate(ts_fixture("bank/pain.001.001.03.example-sepa_king.xml")), 0);
    /* Negative control: our own file with a payment method the schema does not know. */
    rb_bank_header h = header_for(3, 324000 + 1 + 123456789);
    ck_assert_int_eq(write_payments(&h, three, 3, NULL), RB_OK);
    size_t len = 0;
    char *text = ts_read_file(xml_path, &len);
    char *method = strstr(text, "<PmtMtd>TRF</PmtMtd>");
    ck_assert_ptr_nonnull(method);
    memcpy(method + strlen("<PmtMtd>"), "XXX", 3);
    ts_write_file(work, "broken.xml", text, len);
    free(text);
    char broken[4300];
    snprintf(broken, sizeof broken, "%s/broken.xml", work);
    ck_assert_int_ne(validate(broken), 0);
}
END_TEST

START_TEST(three_payments_validate_against_the_schema)
{
    rb_bank_header h = header_for(3, 324000 + 1 + 123456789);
    rb_error err = {0};
    ck_assert_msg(write_payments(&h, three, 3, &err) == RB_OK, "%s", err.message);
    ck_assert_int_eq(validate(xml_path), 0);
}
END_TEST

START_TEST(control_totals_at_both_levels)
{
    rb_bank_header h = header_for(3, 324000 + 1 + 123456789);
    ck_assert_int_eq(write_payments(&h, three, 3, NULL), RB_OK);
    /* 3240.00 + 0.01 + 1234567.89 */
    assert_xpath("/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", "3");
    assert_xpath("/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", "1237807.90");
    assert_xpath("count(/p:Document/p:CstmrCdtTrfInitn/p:PmtInf)", "1");
    assert_xpath("/p:Document/p:CstmrCdtTrfInitn/p:PmtInf/p:NbOfTxs", "3");
    assert_xpath("/p:Document/p:CstmrCdtTrfInitn/p:PmtInf/p:CtrlSum", "1237807.90");
    assert_xpath("count(//p:CdtTrfTxInf)", "3");
    int64_t count = 0;
    rb_fen total = 0;
    rb_error err = {0};
    ck_assert_msg(rb_bank_file_read_totals(xml_path, &count, &total, &err) == RB_OK, "%s", err.message);
    ck_assert_int_eq(count, 3);
    ck_assert_int_eq(total, 123780790);
}
END_TEST

START_TEST(each_value_in_its_element)
{
    rb_bank_header h = header_for(3, 324000 + 1 + 123456789);
    ck_assert_int_eq(write_payments(&h, three, 3, NULL), RB_OK);
    assert_xpath("//p:GrpHdr/p:MsgId", "2022-20261127-001");
    assert_xpath("//p:GrpHdr/p:CreDtTm", "2026-11-28T01:02:03Z");
    assert_xpath("//p:GrpHdr/p:InitgPty/p:Nm", "鞍山市社会保险事业服务中心");
    assert_xpath("//p:PmtInf/p:PmtInfId", "2022-20261127-001");
    assert_xpath("//p:PmtInf/p:PmtMtd", "TRF");
    assert_xpath("//p:PmtInf/p:ReqdExctnDt", "2026-11-28");
    assert_xpath("//p:PmtInf/p:Dbtr/p:Nm", "鞍山市社会保险事业服务中心");
    assert_xpath("//p:PmtInf/p:DbtrAcct/p:Id/p:Othr/p:Id", "0000000000000000000");
    assert_xpath("//p:PmtInf/p:DbtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", "102223000000");
    assert_xpath("//p:PmtInf/p:DbtrAgt/p:FinInstnId/p:Nm", "中国工商银行股份有限公司鞍山分行");
    /* EndToEndId = the payment reference, in the order given. */
    assert_xpath("//p:CdtTrfTxInf[1]/p:PmtId/p:EndToEndId", "2022-91210302MA00000011-1");
    assert_xpath("//p:CdtTrfTxInf[2]/p:PmtId/p:EndToEndId", "2022-91210302MA00000029-2");
    assert_xpath("//p:CdtTrfTxInf[3]/p:PmtId/p:EndToEndId", "2022-91210302MA00000037-1");
    assert_xpath("//p:CdtTrfTxInf[1]/p:Amt/p:InstdAmt", "3240.00");
    assert_xpath("//p:CdtTrfTxInf[1]/p:Amt/p:InstdAmt/@Ccy", "CNY");
    assert_xpath("//p:CdtTrfTxInf[2]/p:Amt/p:InstdAmt", "0.01");
    assert_xpath("//p:CdtTrfTxInf[3]/p:Amt/p:InstdAmt", "1234567.89");
    assert_xpath("//p:CdtTrfTxInf[1]/p:Cdtr/p:Nm", "鞍山市铁东区晨光商贸有限公司");
    assert_xpath("//p:CdtTrfTxInf[1]/p:CdtrAcct/p:Id/p:Othr/p:Id", "6222020708001234567");
    assert_xpath("//p:CdtTrfTxInf[1]/p:RmtInf/p:Ustrd", "2022年失业保险稳岗返还");
    /* The payee's bank: CNAPS code where known, the name where given. */
    assert_xpath("//p:CdtTrfTxInf[1]/p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:ClrSysId/p:Cd", "CNAPS");
    assert_xpath("//p:CdtTrfTxInf[1]/p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", "102223000011");
    assert_xpath("//p:CdtTrfTxInf[1]/p:CdtrAgt/p:FinInstnId/p:Nm", "中国工商银行鞍山分行");
    assert_xpath("count(//p:CdtTrfTxInf[2]/p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId)", "0");
    assert_xpath("//p:CdtTrfTxInf[2]/p:CdtrAgt/p:FinInstnId/p:Nm", "中国银行鞍山分行");
    assert_xpath("count(//p:CdtTrfTxInf[3]/p:CdtrAgt)", "0");
}
END_TEST

START_TEST(debtor_agent_with_a_code_validates)
{
    rb_bank_header h = header_for(1, 324000);
    h.debtor.account = "2102020000000000001";
    h.debtor.bank_code = "102223000011";
    h.debtor.bank_name = "中国工商银行鞍山分行";
    ck_assert_int_eq(write_payments(&h, three, 1, NULL), RB_OK);
    ck_assert_int_eq(validate(xml_path), 0);
    assert_xpath("//p:DbtrAcct/p:Id/p:Othr/p:Id", "2102020000000000001");
    assert_xpath("//p:DbtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", "102223000011");
    assert_xpath("count(//p:DbtrAgt/p:FinInstnId/p:Othr)", "0");
}
END_TEST

/* A name of n characters (each a 3-byte Chinese character). */
static char *name_of(size_t n)
{
    char *name = malloc(n * 3 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(name + i * 3, "鞍", 3);
    name[n * 3] = '\0';
    return name;
}

START_TEST(name_of_140_characters_fits_141_is_refused)
{
    char *fits = name_of(140), *too_long = name_of(141);
    rb_bank_payment p = three[0];
    rb_bank_header h = header_for(1, p.amount);
    p.account_name = fits;
    ck_assert_int_eq(write_payments(&h, &p, 1, NULL), RB_OK);
    ck_assert_int_eq(validate(xml_path), 0);
    p.account_name = too_long;
    rb_error err = {0};
    ck_assert_int_eq(write_payments(&h, &p, 1, &err), RB_E_DATA);
    ck_assert_ptr_nonnull(strstr(err.message, "account_name"));
    ck_assert_ptr_nonnull(strstr(err.message, "2022-91210302MA00000011-1"));
    ck_assert_ptr_nonnull(strstr(err.message, "141"));
    free(fits);
    free(too_long);
}
END_TEST

START_TEST(values_the_schema_cannot_carry_are_refused)
{
    rb_bank_payment p = three[0];
    rb_bank_header h = header_for(1, p.amount);
    rb_error err = {0};
    p.account_name = "晨光\x01商贸";
    ck_assert_int_eq(write_payments(&h, &p, 1, &err), RB_E_DATA);
    ck_assert_ptr_nonnull(strstr(err.message, "control character"));
    p = three[0];
    p.reference = "2022-91210302MA00000011-12345678901X";
    ck_assert_int_eq(strlen(p.reference), 36); /* Max35Text */
    rb_error_clear(&err);
    ck_assert_int_eq(write_payments(&h, &p, 1, &err), RB_E_DATA);
    ck_assert_ptr_nonnull(strstr(err.message, "reference"));
    p = three[0];
    p.bank_account = "";
    rb_error_clear(&err);
    ck_assert_int_eq(write_payments(&h, &p, 1, &err), RB_E_DATA);
    ck_assert_ptr_nonnull(strstr(err.message, "bank_account"));
    p = three[0];
    p.amount = 0;
    rb_error_clear(&err);
    ck_assert_int_eq(write_payments(&h, &p, 1, &err), RB_E_DATA);
    p = three[0];
    p.account_name = "\xE9\x9E"; /* cut UTF-8 */
    rb_error_clear(&err);
    ck_assert_int_eq(write_payments(&h, &p, 1, &err), RB_E_DATA);
    ck_assert_ptr_nonnull(strstr(err.message, "UTF-8"));
    /* pain.001 needs at least one transaction. */
    rb_bank_header empty = header_for(0, 0);
    rb_error_clear(&err);
    ck_assert_int_eq(write_payments(&empty, three, 0, &err), RB_E_DATA);
}
END_TEST

START_TEST(payments_must_match_the_header_totals)
{
    rb_bank_header h = header_for(3, 324000 + 1 + 123456789);
    rb_error err = {0};
    ck_assert_int_eq(write_payments(&h, three, 2, &err), RB_E_INTERNAL);
    rb_error_clear(&err);
    h.total += 1;
    ck_assert_int_eq(write_payments(&h, three, 3, &err), RB_E_INTERNAL);
}
END_TEST

START_TEST(read_back_notices_an_edited_amount)
{
    rb_bank_header h = header_for(3, 324000 + 1 + 123456789);
    ck_assert_int_eq(write_payments(&h, three, 3, NULL), RB_OK);
    size_t len = 0;
    char *text = ts_read_file(xml_path, &len);
    char *amount = strstr(text, ">3240.00<");
    ck_assert_ptr_nonnull(amount);
    amount[1] = '4'; /* 4240.00: the headers no longer add up */
    ts_write_file(work, "edited.xml", text, len);
    char edited[4300];
    snprintf(edited, sizeof edited, "%s/edited.xml", work);
    int64_t count = 0;
    rb_fen total = 0;
    rb_error err = {0};
    ck_assert_int_eq(rb_bank_file_read_totals(edited, &count, &total, &err), RB_E_CANTWRITE);
    ck_assert_ptr_nonnull(strstr(err.message, "does not read back"));
    /* Another currency is refused too. */
    amount[1] = '3';
    char *currency = strstr(text, "Ccy=\"CNY\"");
    memcpy(currency + 5, "EUR", 3);
    ts_write_file(work, "euro.xml", text, len);
    snprintf(edited, sizeof edited, "%s/euro.xml", work);
    rb_error_clear(&err);
    ck_assert_int_eq(rb_bank_file_read_totals(edited, &count, &total, &err), RB_E_CANTWRITE);
    free(text);
}
END_TEST

START_TEST(a_failed_write_is_reported)
{
    FILE *f = fopen("/dev/full", "wb");
    ck_assert_ptr_nonnull(f);
    setvbuf(f, NULL, _IONBF, 0);
    rb_bank_header h = header_for(3, 324000 + 1 + 123456789);
    rb_bank_writer *w = NULL;
    rb_error err = {0};
    rb_status st = rb_bank_file_begin(f, "/dev/full", &h, &w, &err);
    for (size_t i = 0; st == RB_OK && i < 3; i++)
        st = rb_bank_file_add(w, &three[i], &err);
    if (st == RB_OK)
        st = rb_bank_file_end(w, &err);
    else
        rb_bank_file_abandon(w);
    fclose(f);
    ck_assert_int_eq(st, RB_E_CANTWRITE);
    ck_assert_ptr_nonnull(strstr(err.message, "/dev/full"));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("bank_file");
    TCase *tc = tcase_create("pain001");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, validator_accepts_the_iso_example_and_refuses_a_broken_file);
    tcase_add_test(tc, three_payments_validate_against_the_schema);
    tcase_add_test(tc, control_totals_at_both_levels);
    tcase_add_test(tc, each_value_in_its_element);
    tcase_add_test(tc, debtor_agent_with_a_code_validates);
    tcase_add_test(tc, name_of_140_characters_fits_141_is_refused);
    tcase_add_test(tc, values_the_schema_cannot_carry_are_refused);
    tcase_add_test(tc, payments_must_match_the_header_totals);
    tcase_add_test(tc, read_back_notices_an_edited_amount);
    tcase_add_test(tc, a_failed_write_is_reported);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
