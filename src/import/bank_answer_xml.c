/* The bank's answer as an ISO 20022 pain.002.001.03 payment status report
 * (CustomerPaymentStatusReportV03), read with libxml2. The file comes from
 * outside, so it is read as untrusted: no DTD at all (a document declaring
 * one is refused before it is parsed, which also refuses every entity, so
 * nothing is fetched or read and nothing expands), no network, libxml2's
 * own limits (no XML_PARSE_HUGE), a cap on nesting, and the caller's cap on
 * the size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "import/bank_answer_internal.h"

#define PAIN002_NS "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
/* A pain.002 is about ten levels deep; anything far deeper is no report. */
#define MAX_DEPTH 40

/* True when the len bytes at data contain needle. */
static bool contains(const char *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = data; n <= len && (size_t)(p - data) <= len - n;) {
        const char *hit = memchr(p, needle[0], len - n + 1 - (size_t)(p - data));
        if (hit == NULL)
            return false;
        if (memcmp(hit, needle, n) == 0)
            return true;
        p = hit + 1;
    }
    return false;
}

static bool is(const xmlNode *n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           xmlStrcmp(n->ns->href, BAD_CAST PAIN002_NS) == 0 && xmlStrcmp(n->name, BAD_CAST name) == 0;
}

/* The first child element called name, or NULL. */
static xmlNode *child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c != NULL; c = c->next)
        if (is(c, name))
            return c;
    return NULL;
}

/* The trimmed text of the element at the path below n ("A/B/C"), copied
 * into out; "" when absent. */
static const char *text_at(const xmlNode *n, const char *path, char *out, size_t size)
{
    char part[64];
    const char *p = path;
    const xmlNode *cur = n;
    out[0] = '\0';
    while (cur != NULL && *p != '\0') {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        snprintf(part, sizeof part, "%.*s", (int)len, p);
        cur = child(cur, part);
        p += len;
        if (*p == '/')
            p++;
    }
    if (cur == NULL)
        return out;
    xmlChar *content = xmlNodeGetContent(cur);
    if (content == NULL)
        return out;
    const char *s = (const char *)content;
    size_t len = strlen(s);
    while (len > 0 && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == '\t'))
        len--;
    snprintf(out, size, "%.*s", (int)(len < size ? len : size - 1), s);
    xmlFree(content);
    return out;
}

/* "AC01 账号错误": the reason code (Cd or Prtry) and its words (AddtlInf). */
static void reason_of(const xmlNode *n, char *out, size_t size)
{
    char code[64], words[512];
    const xmlNode *info = child(n, "StsRsnInf");
    text_at(info, "Rsn/Cd", code, sizeof code);
    if (code[0] == '\0')
        text_at(info, "Rsn/Prtry", code, sizeof code);
    text_at(info, "AddtlInf", words, sizeof words);
    snprintf(out, size, "%s%s%s", code, code[0] && words[0] ? " " : "", words);
}

static int depth_of(const xmlNode *n, int depth)
{
    int max = depth;
    for (const xmlNode *c = n->children; c != NULL && max <= MAX_DEPTH; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            int d = depth_of(c, depth + 1);
            if (d > max)
                max = d;
        }
    return max;
}

static void read_transaction(rb_answer_set *set, const xmlNode *tx, const char *inherited)
{
    long line = xmlGetLineNo(tx);
    char reference[256], code[64], reason[600], amount_text[64];
    text_at(tx, "OrgnlEndToEndId", reference, sizeof reference);
    text_at(tx, "TxSts", code, sizeof code);
    if (code[0] == '\0')
        snprintf(code, sizeof code, "%s", inherited);
    reason_of(tx, reason, sizeof reason);
    if (reference[0] == '\0') {
        rb_answer_set_problem(set, line, "a transaction status without OrgnlEndToEndId (our payment reference)");
        return;
    }
    rb_answer_status status;
    if (code[0] == '\0' || !rb_answer_status_parse(code, &status) || strlen(code) != 4) {
        rb_answer_set_problem(set, line, "transaction %s has no ISO 20022 status (TxSts) but '%s'", reference, code);
        return;
    }
    bool has_amount = false;
    rb_fen amount = 0;
    const xmlNode *instd = child(child(child(tx, "OrgnlTxRef"), "Amt"), "InstdAmt");
    if (instd != NULL) {
        text_at(child(child(tx, "OrgnlTxRef"), "Amt"), "InstdAmt", amount_text, sizeof amount_text);
        xmlChar *ccy = xmlGetProp(instd, BAD_CAST "Ccy");
        bool cny = ccy == NULL || xmlStrcmp(ccy, BAD_CAST "CNY") == 0;
        xmlFree(ccy);
        if (!cny || rb_money_parse(amount_text, strlen(amount_text), &amount) != RB_MONEY_OK) {
            rb_answer_set_problem(set, line, "transaction %s: the amount '%s' is not yuan (CNY)", reference,
                                  amount_text);
            return;
        }
        has_amount = true;
    }
    rb_answer_set_add(set, line, reference, status, code, reason, has_amount, amount);
}

rb_status rb_bank_answer_xml(const char *path, const char *data, size_t len, rb_answer_set *set, rb_error *err)
{
    snprintf(set->format, sizeof set->format, "pain.002.001.03");
    /* A report has no DTD: refusing any DOCTYPE or ENTITY before parsing
     * means no external entity is read, no URL fetched, no bomb expanded. */
    static const char *const refused[] = {"<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (contains(data, len, refused[i]))
            return rb_fail(err, RB_E_DATA,
                           "bank answer '%s' declares a DTD or an entity (%s): a payment status report has none, so "
                           "the file is refused unread; nothing was recorded",
                           path, refused[i] + 2);
    if (len > (size_t)INT32_MAX)
        return rb_fail(err, RB_E_DATA, "bank answer '%s' is too large; nothing was recorded", path);
    xmlResetLastError();
    xmlDoc *doc = xmlReadMemory(data, (int)len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (doc == NULL) {
        const xmlError *e = xmlGetLastError();
        char msg[300] = "not well-formed XML";
        if (e != NULL && e->message != NULL) {
            snprintf(msg, sizeof msg, "%s", e->message);
            size_t n = strlen(msg);
            while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                msg[--n] = '\0';
            /* libxml2's message may run over lines: ours is one sentence */
            for (char *c = msg; *c != '\0'; c++)
                if ((unsigned char)*c < 0x20)
                    *c = ' ';
        }
        return rb_fail(err, RB_E_DATA, "cannot read bank answer '%s' line %d: %s; nothing was recorded", path,
                       e ? e->line : 0, msg);
    }
    rb_status st = RB_OK;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        st = rb_fail(err, RB_E_DATA, "bank answer '%s' declares a DTD; nothing was recorded", path);
        goto out;
    }
    if (root == NULL || depth_of(root, 1) > MAX_DEPTH) {
        st = rb_fail(err, RB_E_DATA, "bank answer '%s' nests elements deeper than %d levels: it is no payment status "
                     "report; nothing was recorded", path, MAX_DEPTH);
        goto out;
    }
    xmlNode *report = child(root, "CstmrPmtStsRpt");
    if (!is(root, "Document") || report == NULL) {
        st = rb_fail(err, RB_E_DATA,
                     "bank answer '%s' is XML but not an ISO 20022 pain.002.001.03 payment status report "
                     "(Document/CstmrPmtStsRpt in namespace %s); nothing was recorded",
                     path, PAIN002_NS);
        goto out;
    }
    char group_code[64], group_reason[600], original[256];
    xmlNode *group = child(report, "OrgnlGrpInfAndSts");
    text_at(group, "OrgnlMsgId", original, sizeof original);
    text_at(group, "GrpSts", group_code, sizeof group_code);
    reason_of(group, group_reason, sizeof group_reason);
    if (original[0] != '\0' && (set->original_id = strdup(original)) == NULL)
        set->out_of_memory = true;
    size_t transactions = 0;
    bool rejected_whole = strcmp(group_code, "RJCT") == 0;
    long rejected_line = group ? xmlGetLineNo(group) : 0;
    char rejected_reason[600];
    snprintf(rejected_reason, sizeof rejected_reason, "%s", group_reason);
    for (xmlNode *pmt = report->children; pmt != NULL; pmt = pmt->next) {
        if (!is(pmt, "OrgnlPmtInfAndSts"))
            continue;
        char pmt_code[64];
        text_at(pmt, "PmtInfSts", pmt_code, sizeof pmt_code);
        if (strcmp(pmt_code, "RJCT") == 0 && !rejected_whole) {
            rejected_whole = true;
            rejected_line = xmlGetLineNo(pmt);
            reason_of(pmt, rejected_reason, sizeof rejected_reason);
        }
        for (xmlNode *tx = pmt->children; tx != NULL; tx = tx->next)
            if (is(tx, "TxInfAndSts")) {
                transactions++;
                read_transaction(set, tx, pmt_code[0] ? pmt_code : group_code);
            }
    }
    /* A group (or payment-information) RJCT without transaction detail
     * returns every payment of the batch. */
    if (transactions == 0 && rejected_whole) {
        set->group_returned = true;
        set->group_line = rejected_line;
        set->group_code = strdup("RJCT");
        set->group_reason = strdup(rejected_reason);
        if (set->group_code == NULL || set->group_reason == NULL)
            set->out_of_memory = true;
    }
out:
    xmlFreeDoc(doc);
    return st;
}
