/* The bank file (bank.h): pain.001.001.03 written with libxml2's streaming
 * writer, so that a batch of any size needs memory for one payment only, and
 * read back with libxml2's streaming reader for the control totals. Every
 * value is checked against the limits of the schema's types before it is
 * written (Max35Text, Max140Text, Max34Text, 18 digits), so that the file the
 * bank receives validates against pain.001.001.03.xsd; the tests validate it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>

#include "rebate/alloc.h"
#include "rebate/bank.h"
#include "rebate/text.h"

#define PAIN001_NS "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"

/* The largest amount a DecimalNumber (18 digits, 2 of them decimals) holds:
 * 10^18 - 1 fen. */
#define MAX_DECIMAL_FEN 999999999999999999LL

struct rb_bank_writer {
    xmlTextWriterPtr xml;
    const char *path;
    char purpose[64];       /* RmtInf/Ustrd of every payment */
    int64_t expected_count; /* from the header */
    rb_fen expected_total;
    int64_t written_count;  /* what was written since */
    rb_fen written_total;
};

/* Characters (code points) of valid UTF-8 text. */
static size_t utf8_chars(const char *text)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

static bool given(const char *text)
{
    return text != NULL && text[0] != '\0';
}

/* A text value the schema can carry: valid UTF-8, no control character
 * (XML 1.0 cannot hold most of them), 1 to max_chars characters. `owner`
 * names the payment or setting for the message. */
static rb_status check_text(const char *owner, const char *field, const char *value, size_t max_chars,
                            rb_error *err)
{
    if (!given(value))
        return rb_fail(err, RB_E_DATA, "cannot write the bank file: %s has no %s", owner, field);
    size_t len = strlen(value);
    if (!rb_utf8_valid(value, len, NULL))
        return rb_fail(err, RB_E_DATA, "cannot write the bank file: the %s of %s is not valid UTF-8", field, owner);
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7F)
            return rb_fail(err, RB_E_DATA, "cannot write the bank file: the %s of %s contains a control character",
                           field, owner);
    size_t chars = utf8_chars(value);
    if (chars > max_chars)
        return rb_fail(err, RB_E_DATA,
                       "cannot write the bank file: the %s of %s has %zu characters; pain.001 allows %zu", field,
                       owner, chars, max_chars);
    return RB_OK;
}

static rb_status check_amount(const char *owner, const char *field, rb_fen amount, bool positive, rb_error *err)
{
    if (amount < (positive ? 1 : 0) || amount > MAX_DECIMAL_FEN)
        return rb_fail(err, RB_E_DATA, "cannot write the bank file: the %s of %s (%lld fen) is out of range", field,
                       owner, (long long)amount);
    return RB_OK;
}

/* The small steps of the writer: each returns false once a write failed. */
static bool start(rb_bank_writer *w, const char *name)
{
    return xmlTextWriterStartElement(w->xml, BAD_CAST name) >= 0;
}

static bool end(rb_bank_writer *w)
{
    return xmlTextWriterEndElement(w->xml) >= 0;
}

static bool element(rb_bank_writer *w, const char *name, const char *text)
{
    return xmlTextWriterWriteElement(w->xml, BAD_CAST name, BAD_CAST text) >= 0;
}

static bool money_element(rb_bank_writer *w, const char *name, rb_fen amount)
{
    char yuan[RB_MONEY_BUFSZ];
    return element(w, name, rb_money_format(amount, yuan));
}

/* <Othr><Id>account</Id></Othr> inside <tag><Id>: the account without IBAN. */
static bool account(rb_bank_writer *w, const char *tag, const char *number)
{
    return start(w, tag) && start(w, "Id") && start(w, "Othr") && element(w, "Id", number) && end(w) && end(w) &&
           end(w);
}

/* <tag><FinInstnId>: the CNAPS participant code (ClrSysId/Cd = CNAPS) when
 * known, the bank's name when given. With neither the caller leaves the
 * agent out: the schema makes it optional for the payee. */
static bool agent(rb_bank_writer *w, const char *tag, const char *code, const char *name)
{
    bool ok = start(w, tag) && start(w, "FinInstnId");
    if (ok && given(code))
        ok = start(w, "ClrSysMmbId") && start(w, "ClrSysId") && element(w, "Cd", "CNAPS") && end(w) &&
             element(w, "MmbId", code) && end(w);
    if (ok && given(name))
        ok = element(w, "Nm", name);
    /* The debtor's agent is required: with nothing known, the EPC's
     * placeholder for an unknown identifier. */
    if (ok && !given(code) && !given(name))
        ok = start(w, "Othr") && element(w, "Id", "NOTPROVIDED") && end(w);
    return ok && end(w) && end(w);
}

/* libxml2 reports its errors on stderr by default; library code never
 * prints there: the failure becomes our one sentence instead. */
static void ignore_generic(void *context, const char *fmt, ...)
{
    (void)context;
    (void)fmt;
}

static void ignore_structured(void *context, xmlErrorPtr error)
{
    (void)context;
    (void)error;
}

static void quiet_libxml(void)
{
    LIBXML_TEST_VERSION
    xmlSetGenericErrorFunc(NULL, ignore_generic);
    xmlSetStructuredErrorFunc(NULL, ignore_structured);
}

static rb_status write_failed(rb_bank_writer *w, rb_error *err)
{
    return rb_fail(err, RB_E_CANTWRITE, "cannot write '%s' (disk full or output closed?)", w->path);
}

static rb_status check_header(const rb_bank_header *h, rb_error *err)
{
    rb_status st;
    const rb_bank_debtor *d = &h->debtor;
    if ((st = check_text("the batch", "batch id", h->batch_id, 35, err)) != RB_OK ||
        (st = check_text("the batch", "creation time", h->created_at, 64, err)) != RB_OK ||
        (st = check_text("the batch", "execution date", h->execution_date, 10, err)) != RB_OK ||
        (st = check_text("table bank_debtor", "name", d->name, 140, err)) != RB_OK ||
        (st = check_text("table bank_debtor", "account", d->account, 34, err)) != RB_OK ||
        (given(d->bank_code) && (st = check_text("table bank_debtor", "bank_code", d->bank_code, 35, err)) != RB_OK) ||
        (given(d->bank_name) && (st = check_text("table bank_debtor", "bank_name", d->bank_name, 140, err)) != RB_OK) ||
        (st = check_amount("the batch", "total", h->total, true, err)) != RB_OK)
        return st;
    /* pain.001 needs at least one transaction; Max15NumericText. */
    if (h->count < 1 || h->count > 999999999999999LL)
        return rb_fail(err, RB_E_DATA, "cannot write the bank file: batch %s has %lld payments", h->batch_id,
                       (long long)h->count);
    return RB_OK;
}

rb_status rb_bank_file_begin(FILE *file, const char *path, const rb_bank_header *h, rb_bank_writer **out,
                             rb_error *err)
{
    *out = NULL;
    rb_status st = check_header(h, err);
    if (st != RB_OK)
        return st;
    quiet_libxml();
    rb_bank_writer *w = rb_calloc(1, sizeof *w);
    xmlOutputBufferPtr buffer = NULL;
    if (w == NULL || (buffer = xmlOutputBufferCreateFile(file, NULL)) == NULL ||
        (w->xml = xmlNewTextWriter(buffer)) == NULL) {
        /* xmlNewTextWriter owns the buffer only once it succeeded. */
        if (buffer != NULL)
            xmlOutputBufferClose(buffer);
        free(w);
        return rb_fail(err, RB_E_INTERNAL, "out of memory starting '%s'", path);
    }
    w->path = path;
    w->expected_count = h->count;
    w->expected_total = h->total;
    snprintf(w->purpose, sizeof w->purpose, "%d年失业保险稳岗返还", (int)h->policy_year);

    char count[32];
    snprintf(count, sizeof count, "%lld", (long long)h->count);
    const rb_bank_debtor *d = &h->debtor;
    bool ok = xmlTextWriterSetIndent(w->xml, 1) >= 0 && xmlTextWriterSetIndentString(w->xml, BAD_CAST "  ") >= 0 &&
              xmlTextWriterStartDocument(w->xml, "1.0", "UTF-8", NULL) >= 0 && start(w, "Document") &&
              xmlTextWriterWriteAttribute(w->xml, BAD_CAST "xmlns", BAD_CAST PAIN001_NS) >= 0 &&
              start(w, "CstmrCdtTrfInitn") &&
              /* Group header: the message is the batch. */
              start(w, "GrpHdr") && element(w, "MsgId", h->batch_id) && element(w, "CreDtTm", h->created_at) &&
              element(w, "NbOfTxs", count) && money_element(w, "CtrlSum", h->total) && start(w, "InitgPty") &&
              element(w, "Nm", d->name) && end(w) && end(w) &&
              /* One payment information block for the whole batch. */
              start(w, "PmtInf") && element(w, "PmtInfId", h->batch_id) && element(w, "PmtMtd", "TRF") &&
              /* Booked one by one, so a returned transfer is one entry. */
              element(w, "BtchBookg", "false") && element(w, "NbOfTxs", count) &&
              money_element(w, "CtrlSum", h->total) && element(w, "ReqdExctnDt", h->execution_date) &&
              start(w, "Dbtr") && element(w, "Nm", d->name) && end(w) && account(w, "DbtrAcct", d->account) &&
              agent(w, "DbtrAgt", d->bank_code, d->bank_name) &&
              /* The bureau bears the charges: the firm receives the whole rebate. */
              element(w, "ChrgBr", "DEBT");
    if (!ok) {
        st = write_failed(w, err);
        rb_bank_file_abandon(w);
        return st;
    }
    *out = w;
    return RB_OK;
}

rb_status rb_bank_file_add(rb_bank_writer *w, const rb_bank_payment *p, rb_error *err)
{
    rb_status st;
    char owner[128];
    snprintf(owner, sizeof owner, "payment %s", given(p->reference) ? p->reference : "(no reference)");
    if ((st = check_text(owner, "reference", p->reference, 35, err)) != RB_OK ||
        (st = check_amount(owner, "amount", p->amount, true, err)) != RB_OK ||
        (st = check_text(owner, "account_name", p->account_name, 140, err)) != RB_OK ||
        (st = check_text(owner, "bank_account", p->bank_account, 34, err)) != RB_OK ||
        (given(p->bank_code) && (st = check_text(owner, "bank_code", p->bank_code, 35, err)) != RB_OK) ||
        (given(p->bank_name) && (st = check_text(owner, "bank_name", p->bank_name, 140, err)) != RB_OK))
        return st;
    if (p->amount > MAX_DECIMAL_FEN - w->written_total)
        return rb_fail(err, RB_E_DATA, "cannot write the bank file: the total passes 18 digits at %s", owner);
    char yuan[RB_MONEY_BUFSZ];
    bool ok = start(w, "CdtTrfTxInf") && start(w, "PmtId") && element(w, "EndToEndId", p->reference) && end(w) &&
              start(w, "Amt") && start(w, "InstdAmt") &&
              xmlTextWriterWriteAttribute(w->xml, BAD_CAST "Ccy", BAD_CAST "CNY") >= 0 &&
              xmlTextWriterWriteString(w->xml, BAD_CAST rb_money_format(p->amount, yuan)) >= 0 && end(w) && end(w);
    if (ok && (given(p->bank_code) || given(p->bank_name)))
        ok = agent(w, "CdtrAgt", p->bank_code, p->bank_name);
    ok = ok && start(w, "Cdtr") && element(w, "Nm", p->account_name) && end(w) &&
         account(w, "CdtrAcct", p->bank_account) && start(w, "RmtInf") && element(w, "Ustrd", w->purpose) &&
         end(w) && end(w);
    if (!ok)
        return write_failed(w, err);
    w->written_count++;
    w->written_total += p->amount;
    return RB_OK;
}

rb_status rb_bank_file_end(rb_bank_writer *w, rb_error *err)
{
    rb_status st = RB_OK;
    if (w->written_count != w->expected_count || w->written_total != w->expected_total) {
        st = rb_fail(err, RB_E_INTERNAL,
                     "the bank file '%s' was to hold %lld payments of %lld fen in all, but %lld of %lld fen were "
                     "written",
                     w->path, (long long)w->expected_count, (long long)w->expected_total,
                     (long long)w->written_count, (long long)w->written_total);
    } else if (xmlTextWriterEndDocument(w->xml) < 0 || xmlTextWriterFlush(w->xml) < 0) {
        st = write_failed(w, err);
    }
    rb_bank_file_abandon(w);
    return st;
}

void rb_bank_file_abandon(rb_bank_writer *w)
{
    if (w == NULL)
        return;
    xmlFreeTextWriter(w->xml); /* closes the output buffer, not the stream */
    free(w);
}

/* ---- reading back ---- */

#define MAX_DEPTH 16

typedef struct read_back {
    char path[MAX_DEPTH][40]; /* local names from the root to the current element */
    int64_t transactions;
    rb_fen amounts;
    int64_t header_count[2];  /* NbOfTxs of GrpHdr [0] and PmtInf [1]; -1 until seen */
    rb_fen header_sum[2];
    bool bad;
} read_back;

/* The text of the current element as money (two decimals at most). */
static bool read_money(xmlTextReaderPtr reader, rb_fen *out)
{
    xmlChar *text = xmlTextReaderReadString(reader);
    bool ok = text != NULL && rb_money_parse((const char *)text, strlen((const char *)text), out) == RB_MONEY_OK;
    xmlFree(text);
    return ok;
}

static bool read_count(xmlTextReaderPtr reader, int64_t *out)
{
    xmlChar *text = xmlTextReaderReadString(reader);
    const char *t = (const char *)text;
    bool ok = text != NULL && t[0] != '\0' && strlen(t) <= 15 && strspn(t, "0123456789") == strlen(t);
    if (ok)
        *out = strtoll(t, NULL, 10);
    xmlFree(text);
    return ok;
}

static void take_element(xmlTextReaderPtr reader, read_back *r)
{
    int depth = xmlTextReaderDepth(reader);
    const char *name = (const char *)xmlTextReaderConstLocalName(reader);
    if (depth < 0 || depth >= MAX_DEPTH || name == NULL || strlen(name) >= sizeof r->path[0]) {
        r->bad = true;
        return;
    }
    snprintf(r->path[depth], sizeof r->path[depth], "%s", name);
    const char *parent = depth > 0 ? r->path[depth - 1] : "";
    int level = strcmp(parent, "GrpHdr") == 0 ? 0 : strcmp(parent, "PmtInf") == 0 ? 1 : -1;
    if (strcmp(name, "CdtTrfTxInf") == 0) {
        r->transactions++;
    } else if (strcmp(name, "InstdAmt") == 0) {
        xmlChar *currency = xmlTextReaderGetAttribute(reader, BAD_CAST "Ccy");
        rb_fen amount = 0;
        if (currency == NULL || strcmp((const char *)currency, "CNY") != 0 || !read_money(reader, &amount) ||
            amount > RB_FEN_MAX - r->amounts)
            r->bad = true;
        else
            r->amounts += amount;
        xmlFree(currency);
    } else if (level >= 0 && strcmp(name, "NbOfTxs") == 0) {
        r->bad = r->bad || !read_count(reader, &r->header_count[level]);
    } else if (level >= 0 && strcmp(name, "CtrlSum") == 0) {
        r->bad = r->bad || !read_money(reader, &r->header_sum[level]);
    }
}

rb_status rb_bank_file_read_totals(const char *path, int64_t *count, rb_fen *total, rb_error *err)
{
    quiet_libxml();
    read_back r;
    memset(&r, 0, sizeof r);
    r.header_count[0] = r.header_count[1] = -1;
    r.header_sum[0] = r.header_sum[1] = -1;
    /* No network, no entity expansion: only the file itself is read. */
    xmlTextReaderPtr reader = xmlReaderForFile(path, NULL, XML_PARSE_NONET);
    if (reader == NULL)
        return rb_fail(err, RB_E_CANTWRITE, "cannot read back '%s'", path);
    int rc = -1;
    while (!r.bad && (rc = xmlTextReaderRead(reader)) == 1)
        if (xmlTextReaderNodeType(reader) == XML_READER_TYPE_ELEMENT)
            take_element(reader, &r);
    bool parsed = !r.bad && rc == 0;
    xmlFreeTextReader(reader);
    if (!parsed || r.transactions == 0)
        return rb_fail(err, RB_E_CANTWRITE, "'%s' does not read back as written", path);
    for (int level = 0; level < 2; level++)
        if (r.header_count[level] != r.transactions || r.header_sum[level] != r.amounts)
            return rb_fail(err, RB_E_CANTWRITE,
                           "'%s' does not read back as written: its %s NbOfTxs/CtrlSum disagree with its %lld "
                           "transactions",
                           path, level == 0 ? "GrpHdr" : "PmtInf", (long long)r.transactions);
    *count = r.transactions;
    *total = r.amounts;
    return RB_OK;
}
