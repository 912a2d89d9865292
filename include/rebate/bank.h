/* The bank file of an approved batch (docs/formats.md, "After approval: bank/"):
 * the payments as an ISO 20022 pain.001.001.03 credit-transfer initiation,
 * written with libxml2 one payment at a time (memory does not grow with the
 * batch), and read back for its control totals. docs/batch-life.md says
 * which element carries what. */
#ifndef REBATE_BANK_H
#define REBATE_BANK_H

#include <stdint.h>
#include <stdio.h>

#include "rebate/error.h"
#include "rebate/money.h"

/* Who pays (Dbtr, DbtrAcct, DbtrAgt): the fund's own account from the config file. */
typedef struct rb_bank_debtor {
    const char *name;      /* Dbtr/Nm and GrpHdr/InitgPty/Nm */
    const char *account;   /* DbtrAcct/Id/Othr/Id */
    const char *bank_code; /* DbtrAgt CNAPS code, or NULL */
    const char *bank_name; /* DbtrAgt/FinInstnId/Nm, or NULL */
} rb_bank_debtor;

/* What the header and the one PmtInf carry. count and total are known
 * before the first payment: both levels of NbOfTxs and CtrlSum come first. */
typedef struct rb_bank_header {
    const char *batch_id;       /* MsgId and PmtInfId */
    const char *created_at;     /* CreDtTm, ISO 8601 ("2026-11-28T01:00:00Z") */
    const char *execution_date; /* ReqdExctnDt, YYYY-MM-DD */
    int32_t policy_year;        /* the purpose: <Y>年失业保险稳岗返还 */
    int64_t count;              /* NbOfTxs */
    rb_fen total;               /* CtrlSum */
    rb_bank_debtor debtor;
} rb_bank_header;

/* One payment (a CdtTrfTxInf). */
typedef struct rb_bank_payment {
    const char *reference;    /* EndToEndId */
    rb_fen amount;            /* InstdAmt Ccy="CNY" */
    const char *account_name; /* Cdtr/Nm */
    const char *bank_account; /* CdtrAcct/Id/Othr/Id */
    const char *bank_code;    /* CdtrAgt ClrSysMmbId (CNAPS), or NULL/"" when unknown */
    const char *bank_name;    /* CdtrAgt/FinInstnId/Nm, or NULL/"" */
} rb_bank_payment;

/* A bank file being written (opaque). */
typedef struct rb_bank_writer rb_bank_writer;

/* Starts the document on file (an open stream the caller keeps and closes;
 * path is for messages). A header value the schema cannot carry (too long,
 * control characters, a total over 18 digits) is RB_E_DATA. */
rb_status rb_bank_file_begin(FILE *file, const char *path, const rb_bank_header *header, rb_bank_writer **out,
                             rb_error *err);

/* Writes one payment. A value the schema cannot carry is RB_E_DATA naming
 * the reference and the field; a failed write is RB_E_CANTWRITE. */
rb_status rb_bank_file_add(rb_bank_writer *writer, const rb_bank_payment *payment, rb_error *err);

/* Closes the document and frees the writer. The payments written must be
 * exactly the header's count and total (RB_E_INTERNAL otherwise). The
 * stream is flushed, not closed. */
rb_status rb_bank_file_end(rb_bank_writer *writer, rb_error *err);

/* Frees a writer on a failing path (NULL is fine). */
void rb_bank_file_abandon(rb_bank_writer *writer);

/* Reads a written bank file back: the number of CdtTrfTxInf and the sum of
 * their InstdAmt, after checking that every amount is in CNY and that both
 * levels of NbOfTxs and CtrlSum agree with them. Anything else is
 * RB_E_CANTWRITE ("does not read back as written"). */
rb_status rb_bank_file_read_totals(const char *path, int64_t *count, rb_fen *total, rb_error *err);

#endif
