/* Tests of the CSV reading layer of the import (src/import/csv_reader.c):
 * the csv-spectrum cases of RFC 4180, the line where each record starts,
 * strict refusals, BOM, GB18030 and `auto`, undecodable bytes, characters
 * cut by the reading chunks, the record size limit and the SHA-256. */
#include <csv.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/csv_reader.h"
#include "rebate/strbuf.h"
#include "test_support.h"

/* Every record as "<line>:[field][field]...\n". */
static rb_status collect(void *ctx, int64_t line, const rb_csv_field *fields, size_t count, rb_error *err)
{
    (void)err;
    rb_strbuf *out = ctx;
    ck_assert(rb_strbuf_addf(out, "%lld:", (long long)line));
    for (size_t i = 0; i < count; i++) {
        ck_assert(rb_strbuf_addch(out, '['));
        ck_assert(rb_strbuf_add(out, fields[i].text, fields[i].len));
        ck_assert(rb_strbuf_addch(out, ']'));
    }
    ck_assert(rb_strbuf_addch(out, '\n'));
    return RB_OK;
}

typedef struct read_result {
    rb_status status;
    rb_error err;
    rb_csv_info info;
    rb_strbuf records;
} read_result;

static void read_path(const char *path, rb_encoding encoding, read_result *r)
{
    rb_strbuf_init(&r->records);
    rb_error_clear(&r->err);
    memset(&r->info, 0, sizeof r->info);
    r->status = rb_csv_read(path, "test.csv", encoding, collect, &r->records, &r->info, &r->err);
}

/* Writes bytes to a fresh folder and reads them back. */
static void read_bytes(const char *data, size_t len, rb_encoding encoding, read_result *r)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
    ts_write_file(dir, "test.csv", data, len);
    snprintf(path, sizeof path, "%s/test.csv", dir);
    read_path(path, encoding, r);
    ts_rmtree(dir);
}

static void read_text(const char *text, rb_encoding encoding, read_result *r)
{
    read_bytes(text, strlen(text), encoding, r);
}

static void expect_records(read_result *r, const char *expected)
{
    ck_assert_msg(r->status == RB_OK, "read failed: %s", r->err.message);
    ck_assert_str_eq(r->records.buf, expected);
    rb_strbuf_release(&r->records);
}

static void expect_refused(read_result *r, rb_status status, const char *fragment)
{
    ck_assert_msg(r->status == status, "status %d, expected %d (%s)", (int)r->status, (int)status, r->err.message);
    ck_assert_msg(strstr(r->err.message, fragment) != NULL, "'%s' does not say '%s'", r->err.message, fragment);
    rb_strbuf_release(&r->records);
}

/* csv-spectrum: each file and its records as the json beside it gives
 * them (the header as the record of line 1), transcribed by hand. */
static const struct spectrum_case {
    const char *file;
    const char *records;
} spectrum[] = {
    {"comma_in_quotes.csv", "1:[first][last][address][city][zip]\n2:[John][Doe][120 any st.][Anytown, WW][08123]\n"},
    {"empty.csv", "1:[a][b][c]\n2:[1][][]\n3:[2][3][4]\n"},
    {"empty_crlf.csv", "1:[a][b][c]\n2:[1][][]\n3:[2][3][4]\n"},
    {"escaped_quotes.csv", "1:[a][b]\n2:[1][ha \"ha\" ha]\n3:[3][4]\n"},
    {"json.csv", "1:[key][val]\n2:[1][{\"type\": \"Point\", \"coordinates\": [102.0, 0.5]}]\n"},
    {"newlines.csv", "1:[a][b][c]\n2:[1][2][3]\n3:[Once upon \na time][5][6]\n5:[7][8][9]\n"},
    {"newlines_crlf.csv", "1:[a][b][c]\n2:[1][2][3]\n3:[Once upon \r\na time][5][6]\n5:[7][8][9]\n"},
    {"quotes_and_newlines.csv", "1:[a][b]\n2:[1][ha \n\"ha\" \nha]\n5:[3][4]\n"},
    {"simple.csv", "1:[a][b][c]\n2:[1][2][3]\n"},
    {"simple_crlf.csv", "1:[a][b][c]\n2:[1][2][3]\n"},
    {"utf8.csv", "1:[a][b][c]\n2:[1][2][3]\n3:[4][5][\xCA\xA4]\n"},
};

START_TEST(csv_spectrum_case)
{
    char relative[256];
    snprintf(relative, sizeof relative, "vectors/csv-spectrum/csvs/%s", spectrum[_i].file);
    read_result r;
    read_path(ts_fixture(relative), RB_ENCODING_AUTO, &r);
    ck_assert_msg(r.status == RB_OK, "%s: %s", spectrum[_i].file, r.err.message);
    ck_assert_msg(strcmp(r.records.buf, spectrum[_i].records) == 0, "%s gave\n%s", spectrum[_i].file,
                  r.records.buf);
    ck_assert_str_eq(r.info.encoding, "utf-8");
    rb_strbuf_release(&r.records);
}
END_TEST

/* location_coordinates.csv has quotes inside unquoted fields (37.8"N):
 * RFC 4180 does not allow them, and the strict reader refuses the file. */
START_TEST(csv_spectrum_bare_quote_is_refused)
{
    read_result r;
    read_path(ts_fixture("vectors/csv-spectrum/csvs/location_coordinates.csv"), RB_ENCODING_AUTO, &r);
    expect_refused(&r, RB_E_DATA, "'test.csv' line 2: a quote inside an unquoted field");
}
END_TEST

START_TEST(line_numbers_count_physical_lines)
{
    read_result r;
    read_text("h1,h2\n\n  \t\r\na,b\r\n\"x\ny\",z\n\"p\",\"q\n\n\"\nlast,one", RB_ENCODING_AUTO, &r);
    expect_records(&r, "1:[h1][h2]\n4:[a][b]\n5:[x\ny][z]\n7:[p][q\n\n]\n10:[last][one]\n");
}
END_TEST

START_TEST(fields_of_empty_values_are_a_record)
{
    /* `,,,` is a record of empty fields (the importer ignores it); an empty
     * line is none. */
    read_result r;
    read_text("a,b,c\n,,\n\n\"\",\"\",\"\"\n", RB_ENCODING_AUTO, &r);
    expect_records(&r, "1:[a][b][c]\n2:[][][]\n4:[][][]\n");
}
END_TEST

START_TEST(quoted_comma_and_doubled_quote)
{
    read_result r;
    read_text("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"\"\"\",\"\"\n", RB_ENCODING_AUTO, &r);
    expect_records(&r, "1:[a][b]\n2:[x,y][say \"hi\"]\n3:[\"][]\n");
}
END_TEST

START_TEST(last_line_without_line_end)
{
    read_result r;
    read_text("a,b\r\n1,2", RB_ENCODING_AUTO, &r);
    expect_records(&r, "1:[a][b]\n2:[1][2]\n");
    read_text("a,b\n1,\"2\"", RB_ENCODING_AUTO, &r);
    expect_records(&r, "1:[a][b]\n2:[1][2]\n");
}
END_TEST

START_TEST(unterminated_quote_names_the_record_start)
{
    read_result r;
    read_text("a,b\n1,2\n3,\"four\n\n5,6\n", RB_ENCODING_AUTO, &r);
    expect_refused(&r, RB_E_DATA, "'test.csv' line 3: the quoted field of the record starting there is never closed");
}
END_TEST

START_TEST(quote_inside_unquoted_field_is_refused)
{
    read_result r;
    read_text("a,b\n1,2\n3,fo\"ur\n", RB_ENCODING_AUTO, &r);
    expect_refused(&r, RB_E_DATA, "'test.csv' line 3: a quote inside an unquoted field");
}
END_TEST

START_TEST(text_after_closing_quote_is_refused)
{
    read_result r;
    read_text("a,b\n\"x\ny\"z,1\n", RB_ENCODING_AUTO, &r);
    expect_refused(&r, RB_E_DATA, "'test.csv' line 3: a quote inside an unquoted field or text after a closing");
}
END_TEST

START_TEST(lone_carriage_return_is_refused)
{
    /* Line ends are \n or \r\n; libcsv alone would end a record at a lone \r. */
    read_result r;
    read_text("a,b\n1,2\r3,4\n", RB_ENCODING_AUTO, &r);
    expect_refused(&r, RB_E_DATA, "'test.csv' line 2: a carriage return without a line feed ends a record");
    read_text("a,b\r\r\n", RB_ENCODING_AUTO, &r);
    expect_refused(&r, RB_E_DATA, "'test.csv' line 1: a carriage return");
    /* inside quotes it is data */
    read_text("a,b\r\n\"x\ry\",z\r\n", RB_ENCODING_AUTO, &r);
    expect_records(&r, "1:[a][b]\n2:[x\ry][z]\n");
}
END_TEST

/* A \r\n whose two bytes fall into two reading chunks (64 KiB) is one line end. */
START_TEST(crlf_split_by_a_chunk)
{
    size_t chunk = 64 * 1024;
    char *text = malloc(chunk + 16);
    ck_assert(text != NULL);
    memcpy(text, "h\n", 2);
    memset(text + 2, 'x', chunk - 3);
    memcpy(text + chunk - 1, "\r\ny\n", 4);
    read_result r;
    read_bytes(text, chunk + 3, RB_ENCODING_AUTO, &r);
    ck_assert_msg(r.status == RB_OK, "%s", r.err.message);
    ck_assert_int_eq(r.records.len, strlen("1:[h]\n2:[]\n3:[y]\n") + chunk - 3);
    ck_assert(strncmp(r.records.buf, "1:[h]\n2:[xxx", 12) == 0);
    ck_assert_str_eq(r.records.buf + r.records.len - 9, "x]\n3:[y]\n");
    rb_strbuf_release(&r.records);
    free(text);
}
END_TEST

START_TEST(utf8_bom_is_skipped)
{
    read_result r;
    read_text("\xEF\xBB\xBF\"a\",b\n1,2\n", RB_ENCODING_AUTO, &r);
    ck_assert_str_eq(r.info.encoding, "utf-8-bom");
    expect_records(&r, "1:[a][b]\n2:[1][2]\n");
    read_text("\xEF\xBB\xBF\"a\",b\n1,2\n", RB_ENCODING_UTF8, &r);
    ck_assert_str_eq(r.info.encoding, "utf-8-bom");
    expect_records(&r, "1:[a][b]\n2:[1][2]\n");
    read_text("a,b\n", RB_ENCODING_AUTO, &r);
    ck_assert_str_eq(r.info.encoding, "utf-8");
    expect_records(&r, "1:[a][b]\n");
}
END_TEST

/* 名称,值 / 甲,乙 in GB18030 bytes. */
static const char gb_text[] = "\xC3\xFB\xB3\xC6,\xD6\xB5\n\xBC\xD7,\xD2\xD2\n";

START_TEST(gb18030_is_found_by_auto)
{
    read_result r;
    read_text(gb_text, RB_ENCODING_AUTO, &r);
    ck_assert_str_eq(r.info.encoding, "gb18030");
    expect_records(&r, "1:[名称][值]\n2:[甲][乙]\n");
    read_text(gb_text, RB_ENCODING_GB18030, &r);
    ck_assert_str_eq(r.info.encoding, "gb18030");
    expect_records(&r, "1:[名称][值]\n2:[甲][乙]\n");
}
END_TEST

START_TEST(gb18030_bom_is_skipped)
{
    read_result r;
    char text[64];
    snprintf(text, sizeof text, "\x84\x31\x95\x33%s", gb_text);
    read_text(text, RB_ENCODING_AUTO, &r);
    ck_assert_str_eq(r.info.encoding, "gb18030");
    expect_records(&r, "1:[名称][值]\n2:[甲][乙]\n");
}
END_TEST

START_TEST(explicit_utf8_refuses_gb18030_naming_the_line)
{
    read_result r;
    read_text("a,b\n1,2\n\xBC\xD7,\xD2\xD2\n", RB_ENCODING_UTF8, &r);
    expect_refused(&r, RB_E_DATA, "cannot decode 'test.csv' line 3: it is not valid UTF-8");
}
END_TEST

START_TEST(explicit_gb18030_refuses_what_it_cannot_decode)
{
    /* 甲 in UTF-8 is E7 94 B2: E7 94 is a GB18030 character, B2 ',' is not. */
    read_result r;
    read_text("a,b\n1,2\n\xE7\x94\xB2,x\n", RB_ENCODING_GB18030, &r);
    expect_refused(&r, RB_E_DATA, "cannot decode 'test.csv' line 3: it is not valid GB18030");
}
END_TEST

START_TEST(neither_utf8_nor_gb18030_names_both_lines)
{
    read_result r;
    read_text("a,b\n1,\xBC\xD7\n2,\xFF\n", RB_ENCODING_AUTO, &r);
    expect_refused(&r, RB_E_DATA, "line 2 is not valid UTF-8 and line 3 is not valid GB18030");
}
END_TEST

START_TEST(truncated_character_at_the_end)
{
    read_result r;
    read_text("a,b\n1,\xE7\x94", RB_ENCODING_UTF8, &r);
    expect_refused(&r, RB_E_DATA, "'test.csv' line 2");
    read_text("a,b\n1,\xBC", RB_ENCODING_GB18030, &r);
    expect_refused(&r, RB_E_DATA, "'test.csv' line 2: it is not valid GB18030");
}
END_TEST

START_TEST(nul_byte_is_refused)
{
    read_result r;
    read_bytes("a,b\n1,2\n3,\0\n", 11, RB_ENCODING_AUTO, &r);
    expect_refused(&r, RB_E_DATA, "'test.csv' line 3: it holds a NUL byte");
    /* UTF-16LE "a,b\n" */
    read_bytes("\xFF\xFE" "a\0,\0b\0\n\0", 10, RB_ENCODING_AUTO, &r);
    expect_refused(&r, RB_E_DATA, "NUL byte");
}
END_TEST

/* A file of many lines whose 4-byte and 3-byte characters fall across the
 * 64 KiB reading chunks at every offset; each record is checked as it comes. */
typedef struct chunk_check {
    int64_t records;           /* records read as expected */
    int64_t first_bad;         /* line of the first one that was not, 0 when none */
    const char *expected_char; /* UTF-8 of the character every field repeats */
} chunk_check;

static rb_status check_chunk_record(void *ctx, int64_t line, const rb_csv_field *fields, size_t count, rb_error *err)
{
    (void)err;
    /* Plain comparisons: a Check assertion per field would dominate the run. */
    chunk_check *c = ctx;
    char number[32];
    snprintf(number, sizeof number, "%lld", (long long)line);
    size_t k = strlen(c->expected_char);
    size_t repeat = (size_t)(line % 7) + 1;
    bool good = count == 2 && fields[0].len == strlen(number) && memcmp(fields[0].text, number, fields[0].len) == 0 &&
                fields[1].len == k * repeat;
    for (size_t i = 0; good && i < repeat; i++)
        good = memcmp(fields[1].text + i * k, c->expected_char, k) == 0;
    if (good)
        c->records++;
    else if (c->first_bad == 0)
        c->first_bad = line;
    return RB_OK;
}

static void chunk_file(const char *dir, const char *character, rb_encoding encoding, const char *found)
{
    rb_strbuf text = RB_STRBUF_INIT;
    int64_t lines = 30000; /* about 300 KB: several chunks */
    bool ok = true;
    for (int64_t line = 1; line <= lines; line++) {
        ok = ok && rb_strbuf_addf(&text, "%lld,", (long long)line);
        for (int64_t i = 0; i < line % 7 + 1; i++)
            ok = ok && rb_strbuf_adds(&text, character);
        ok = ok && rb_strbuf_adds(&text, line % 2 ? "\n" : "\r\n");
    }
    ck_assert(ok);
    ts_write_file(dir, "big.csv", text.buf, text.len);
    rb_strbuf_release(&text);
    char path[4200];
    snprintf(path, sizeof path, "%s/big.csv", dir);
    chunk_check c = {0, 0, "\xF0\xA0\x80\x80"}; /* U+20000 */
    rb_error err;
    rb_error_clear(&err);
    rb_csv_info info;
    ck_assert_msg(rb_csv_read(path, "big.csv", encoding, check_chunk_record, &c, &info, &err) == RB_OK, "%s",
                  err.message);
    ck_assert_int_eq(c.first_bad, 0);
    ck_assert_int_eq(c.records, lines);
    ck_assert_str_eq(info.encoding, found);
}

START_TEST(characters_across_chunks)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
    chunk_file(dir, "\xF0\xA0\x80\x80", RB_ENCODING_AUTO, "utf-8");     /* U+20000 in UTF-8 */
    chunk_file(dir, "\x95\x32\x82\x36", RB_ENCODING_AUTO, "gb18030");   /* U+20000 in GB18030 */
    chunk_file(dir, "\x95\x32\x82\x36", RB_ENCODING_GB18030, "gb18030");
    ts_rmtree(dir);
}
END_TEST

START_TEST(record_longer_than_the_limit_is_refused)
{
    size_t n = RB_CSV_MAX_RECORD + 100;
    char *text = malloc(n + 32);
    ck_assert(text != NULL);
    strcpy(text, "a,b\n1,2\n3,\"");
    size_t used = strlen(text);
    for (size_t i = used; i < n; i++)
        text[i] = (i % 80 == 0) ? '\n' : 'x';
    read_result r;
    read_bytes(text, n, RB_ENCODING_AUTO, &r);
    expect_refused(&r, RB_E_DATA, "'test.csv' line 3: the record starting there is longer than");
    free(text);
}
END_TEST

START_TEST(sha256_of_the_bytes)
{
    read_result r;
    read_text("a,b\n1,2\n", RB_ENCODING_AUTO, &r);
    /* sha256sum of the same 8 bytes */
    ck_assert_str_eq(r.info.sha256, "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470");
    expect_records(&r, "1:[a][b]\n2:[1][2]\n");
}
END_TEST

static rb_status stop_at_second(void *ctx, int64_t line, const rb_csv_field *fields, size_t count, rb_error *err)
{
    (void)fields, (void)count;
    int *seen = ctx;
    (*seen)++;
    if (line == 2)
        return rb_fail(err, RB_E_CANTWRITE, "stopped at line 2");
    return RB_OK;
}

START_TEST(callback_failure_stops_reading)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", ts_tmpdir());
    ts_write_file(dir, "t.csv", "a\nb\nc\nd\n", (size_t)-1);
    snprintf(path, sizeof path, "%s/t.csv", dir);
    int seen = 0;
    rb_error err;
    rb_error_clear(&err);
    rb_csv_info info;
    ck_assert_int_eq(rb_csv_read(path, "t.csv", RB_ENCODING_AUTO, stop_at_second, &seen, &info, &err),
                     RB_E_CANTWRITE);
    ck_assert_int_eq(seen, 2);
    ck_assert_str_eq(err.message, "stopped at line 2");
    ts_rmtree(dir);
}
END_TEST

START_TEST(empty_file_has_no_records)
{
    read_result r;
    read_text("", RB_ENCODING_AUTO, &r);
    expect_records(&r, "");
    ck_assert_str_eq(r.info.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(missing_file_is_no_input)
{
    read_result r;
    read_path("/nonexistent/rebate/test.csv", RB_ENCODING_AUTO, &r);
    expect_refused(&r, RB_E_NOINPUT, "cannot read '/nonexistent/rebate/test.csv'");
}
END_TEST

/* The reference for plain_lines_read_as_libcsv_reads_them: libcsv itself,
 * fed a line at a time, each record with the line that began it. */
typedef struct reference {
    rb_strbuf *out;
    rb_strbuf fields;
    int64_t record_line;
} reference;

static void reference_field(void *data, size_t len, void *ctx)
{
    reference *ref = ctx;
    ck_assert(rb_strbuf_addch(&ref->fields, '['));
    ck_assert(rb_strbuf_add(&ref->fields, data, len));
    ck_assert(rb_strbuf_addch(&ref->fields, ']'));
}

static void reference_record(int terminator, void *ctx)
{
    (void)terminator;
    reference *ref = ctx;
    ck_assert(rb_strbuf_addf(ref->out, "%lld:%s\n", (long long)ref->record_line, ref->fields.buf));
    rb_strbuf_reset(&ref->fields);
}

static void reference_read(const char *data, size_t len, rb_strbuf *out)
{
    struct csv_parser parser;
    ck_assert_int_eq(csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI), 0);
    reference ref = {.out = out, .record_line = 1};
    rb_strbuf_init(&ref.fields);
    ck_assert(rb_strbuf_add(&ref.fields, "", 0));
    /* A record ends only at a line's end, so one that begins on a line
     * begins with the parser idle at the line's start. */
    int64_t line = 1;
    for (size_t i = 0; i < len; line++) {
        const char *newline = memchr(data + i, '\n', len - i);
        size_t piece = newline ? (size_t)(newline - (data + i)) + 1 : len - i;
        if (parser.pstate == 0)
            ref.record_line = line;
        ck_assert_uint_eq(csv_parse(&parser, data + i, piece, reference_field, reference_record, &ref), piece);
        i += piece;
    }
    ck_assert_int_eq(csv_fini(&parser, reference_field, reference_record, &ref), 0);
    csv_free(&parser);
    rb_strbuf_release(&ref.fields);
}

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* A random RFC 4180 file: plain fields with spaces and tabs around and
 * inside, empty fields, quoted fields holding commas, doubled quotes and
 * line ends, blank lines, lines of spaces, \n and \r\n, now and then a
 * field longer than a reading chunk, and a last line with or without its
 * line end. */
static void random_file(uint64_t *state, rb_strbuf *out)
{
    static const char *const plain[] = {"a", "b7", " ", "\t", "\xC3\xA9", "\xE4\xB8\xAD", "-1.5", "x y"};
    static const char *const quoted[] = {"q", ",", "\"\"", "\n", "\r\n", " ", "\xE4\xB8\xAD"};
    size_t lines = 1 + next_random(state) % 60;
    for (size_t l = 0; l < lines; l++) {
        uint64_t kind = next_random(state) % 16;
        if (kind == 0) {
            /* a blank line, or spaces and tabs only */
        } else if (kind == 1) {
            ck_assert(rb_strbuf_add(out, " \t ", 1 + next_random(state) % 3));
        } else {
            size_t fields = 1 + next_random(state) % 8;
            for (size_t f = 0; f < fields; f++) {
                if (f > 0)
                    ck_assert(rb_strbuf_addch(out, ','));
                uint64_t how = next_random(state) % 10;
                if (how == 0 && next_random(state) % 64 == 0) {
                    static char longer_than_a_chunk[70 * 1024];
                    memset(longer_than_a_chunk, 'L', sizeof longer_than_a_chunk);
                    ck_assert(rb_strbuf_add(out, longer_than_a_chunk, sizeof longer_than_a_chunk));
                } else if (how == 1 && kind < 6) {
                    ck_assert(rb_strbuf_addf(out, "%s\"", next_random(state) % 3 ? "" : "  "));
                    size_t parts = next_random(state) % 5;
                    for (size_t i = 0; i < parts; i++)
                        ck_assert(rb_strbuf_addf(out, "%s", quoted[next_random(state) % 7]));
                    ck_assert(rb_strbuf_addf(out, "\"%s", next_random(state) % 2 ? " " : ""));
                } else if (how > 2) {
                    size_t parts = next_random(state) % 6;
                    for (size_t i = 0; i < parts; i++)
                        ck_assert(rb_strbuf_addf(out, "%s", plain[next_random(state) % 8]));
                }
            }
        }
        if (l + 1 < lines || next_random(state) % 2)
            ck_assert(rb_strbuf_addf(out, "%s", next_random(state) % 3 ? "\n" : "\r\n"));
    }
}

/* text (UTF-8) in GB18030, through iconv. */
static void to_gb18030(const rb_strbuf *text, rb_strbuf *out)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    ck_assert(cd != (iconv_t)-1);
    ck_assert(rb_strbuf_grow(out, text->len * 2 + 16));
    char *in = text->buf, *to = out->buf;
    size_t in_left = text->len, out_left = out->alloc - 1;
    ck_assert(iconv(cd, &in, &in_left, &to, &out_left) != (size_t)-1);
    out->len = (size_t)(to - out->buf);
    out->buf[out->len] = '\0';
    iconv_close(cd);
}

/* The random files read as libcsv reads them, in UTF-8 and, decoded by
 * iconv in pieces of their own, in GB18030 (named, and found by `auto`). */
START_TEST(plain_lines_read_as_libcsv_reads_them)
{
    uint64_t state = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 300; i++) {
        rb_strbuf file, expected, gb;
        rb_strbuf_init(&file);
        rb_strbuf_init(&expected);
        rb_strbuf_init(&gb);
        ck_assert(rb_strbuf_add(&file, "", 0));
        ck_assert(rb_strbuf_add(&expected, "", 0));
        random_file(&state, &file);
        reference_read(file.buf, file.len, &expected);
        to_gb18030(&file, &gb);
        static const struct {
            rb_encoding encoding;
            bool gb;
        } ways[] = {{RB_ENCODING_UTF8, false}, {RB_ENCODING_GB18030, true}, {RB_ENCODING_AUTO, true}};
        for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
            const rb_strbuf *bytes = ways[w].gb ? &gb : &file;
            read_result r;
            read_bytes(bytes->buf, bytes->len, ways[w].encoding, &r);
            ck_assert_msg(r.status == RB_OK, "file %d, way %zu: %s", i, w, r.err.message);
            ck_assert_msg(strcmp(r.records.buf ? r.records.buf : "", expected.buf) == 0,
                          "file %d, way %zu, read\n%s\nlibcsv reads\n%s", i, w, r.records.buf ? r.records.buf : "",
                          expected.buf);
            rb_strbuf_release(&r.records);
        }
        rb_strbuf_release(&file);
        rb_strbuf_release(&expected);
        rb_strbuf_release(&gb);
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("import/csv_reader");
    TCase *tc = tcase_create("csv_reader");
    tcase_add_loop_test(tc, csv_spectrum_case, 0, (int)(sizeof spectrum / sizeof spectrum[0]));
    tcase_add_test(tc, csv_spectrum_bare_quote_is_refused);
    tcase_add_test(tc, line_numbers_count_physical_lines);
    tcase_add_test(tc, fields_of_empty_values_are_a_record);
    tcase_add_test(tc, quoted_comma_and_doubled_quote);
    tcase_add_test(tc, last_line_without_line_end);
    tcase_add_test(tc, unterminated_quote_names_the_record_start);
    tcase_add_test(tc, quote_inside_unquoted_field_is_refused);
    tcase_add_test(tc, text_after_closing_quote_is_refused);
    tcase_add_test(tc, lone_carriage_return_is_refused);
    tcase_add_test(tc, crlf_split_by_a_chunk);
    tcase_add_test(tc, utf8_bom_is_skipped);
    tcase_add_test(tc, gb18030_is_found_by_auto);
    tcase_add_test(tc, gb18030_bom_is_skipped);
    tcase_add_test(tc, explicit_utf8_refuses_gb18030_naming_the_line);
    tcase_add_test(tc, explicit_gb18030_refuses_what_it_cannot_decode);
    tcase_add_test(tc, neither_utf8_nor_gb18030_names_both_lines);
    tcase_add_test(tc, truncated_character_at_the_end);
    tcase_add_test(tc, nul_byte_is_refused);
    tcase_add_test(tc, characters_across_chunks);
    tcase_add_test(tc, record_longer_than_the_limit_is_refused);
    tcase_add_test(tc, sha256_of_the_bytes);
    tcase_add_test(tc, callback_failure_stops_reading);
    tcase_add_test(tc, empty_file_has_no_records);
    tcase_add_test(tc, missing_file_is_no_input);
    tcase_add_test(tc, plain_lines_read_as_libcsv_reads_them);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
