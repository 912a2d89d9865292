-- The peer for the benchmark: what a bureau's IT staff would write instead
-- of rebate, with nothing but the sqlite3 shell. It loads the three extracts
-- into plain tables and applies the main rules of docs/rules.md for one policy
-- year, writing the list of firms to pay. bench/peer.sh fills in @DATA@ (the
-- folder of the extracts), @OUT@ (the payable list), @POLICY_YEAR@ (Y) and
-- @DATA_YEAR@ (A = Y - 1); everything runs in one transaction.
--
-- What it does not do, unlike rebate: row-level validation and accounting,
-- USCC check characters, names, accounts, layoff rates, review reasons,
-- the ledger. Rows it cannot use simply drop out, so such firms are not paid.

.bail on
PRAGMA cache_size = -65536;  -- 64 MiB: what anyone would set for a few GB of data
BEGIN;

CREATE TABLE registration (
    uscc TEXT, name TEXT, status TEXT, established_on TEXT, deregistered_on TEXT,
    region_code TEXT, industry_code TEXT, serious_dishonesty TEXT);
CREATE TABLE insured_units (
    uscc TEXT, unit_no TEXT, unit_name TEXT, insured_on TEXT, ui_status TEXT,
    account_name TEXT, bank_name TEXT, bank_account TEXT, account_source TEXT, bank_code TEXT);
-- Numeric affinity: "75.00" is stored as a number, "75元" stays text.
CREATE TABLE contributions (
    uscc TEXT, period TEXT, insured_count INTEGER, employer_due NUMERIC, employer_paid NUMERIC,
    employee_due NUMERIC, employee_paid NUMERIC, new_claimants INTEGER);

.import --csv --skip 1 "@DATA@/registration.csv" registration
.import --csv --skip 1 "@DATA@/insured_units.csv" insured_units
.import --csv --skip 1 "@DATA@/contributions.csv" contributions

-- Codes are matched upper-case and without padding; periods as YYYYMM.
UPDATE registration SET uscc = upper(trim(uscc, ' ' || char(9, 12288)))
 WHERE uscc <> upper(trim(uscc, ' ' || char(9, 12288)));
UPDATE insured_units SET uscc = upper(trim(uscc, ' ' || char(9, 12288)))
 WHERE uscc <> upper(trim(uscc, ' ' || char(9, 12288)));
UPDATE contributions SET uscc = upper(trim(uscc, ' ' || char(9, 12288)))
 WHERE uscc <> upper(trim(uscc, ' ' || char(9, 12288)));
UPDATE contributions SET period = replace(period, '-', '') WHERE period LIKE '%-%';

CREATE INDEX contributions_by_firm ON contributions (uscc, period);
CREATE INDEX registration_by_firm ON registration (uscc);
CREATE INDEX insured_units_by_firm ON insured_units (uscc);

CREATE TABLE rates (policy_year INTEGER PRIMARY KEY, rate_pct INTEGER NOT NULL);
INSERT INTO rates VALUES (2020, 100), (2021, 60), (2022, 90), (2023, 60), (2024, 60), (2025, 60);

-- Contribution rows of the data year A = Y - 1, in fen, with exact repeats
-- removed; a row whose amounts are not plain non-negative numbers is left out.
CREATE TEMP VIEW year_rows AS
SELECT DISTINCT uscc, period, insured_count,
       CAST(round(employer_due * 100) AS INTEGER)  AS employer_due,
       CAST(round(employer_paid * 100) AS INTEGER) AS employer_paid,
       CAST(round(employee_due * 100) AS INTEGER)  AS employee_due,
       CAST(round(employee_paid * 100) AS INTEGER) AS employee_paid
  FROM contributions
 WHERE period BETWEEN '@DATA_YEAR@01' AND '@DATA_YEAR@12'
   AND typeof(employer_due) IN ('integer', 'real') AND employer_due >= 0
   AND typeof(employer_paid) IN ('integer', 'real') AND employer_paid >= 0
   AND typeof(employee_due) IN ('integer', 'real') AND employee_due >= 0
   AND typeof(employee_paid) IN ('integer', 'real') AND employee_paid >= 0;

CREATE TEMP TABLE firm_year AS
SELECT uscc,
       max(CASE WHEN period = '@DATA_YEAR@12' THEN insured_count END)
           AS december_headcount,
       sum(employer_paid >= employer_due AND employee_paid >= employee_due
           AND employer_due + employee_due > 0) AS full_months,
       sum(max(0, employer_due - employer_paid) + max(0, employee_due - employee_paid)) AS arrears,
       sum(min(employer_paid, employer_due) + min(employee_paid, employee_due)) AS base,
       count(*) - count(DISTINCT period) AS conflicting_rows
  FROM year_rows
 GROUP BY uscc;

.headers on
.mode csv
.once "@OUT@"
SELECT f.uscc, r.name, u.account_name, u.bank_name, u.bank_account,
       printf('%d.%02d', (f.base * rates.rate_pct + 50) / 100 / 100,
              (f.base * rates.rate_pct + 50) / 100 % 100) AS amount
  FROM firm_year f
  JOIN rates ON rates.policy_year = @POLICY_YEAR@
  JOIN registration r ON r.uscc = f.uscc
  JOIN insured_units u ON u.uscc = f.uscc
 WHERE f.december_headcount <= 10
   AND f.full_months >= 12
   AND f.arrears = 0
   AND f.conflicting_rows = 0
   AND (f.base * rates.rate_pct + 50) / 100 > 0
   AND (trim(r.status, ' ' || char(9, 12288)) LIKE '存续%'
        OR trim(r.status, ' ' || char(9, 12288)) LIKE '在业%'
        OR trim(r.status, ' ' || char(9, 12288)) LIKE '开业%'
        OR trim(r.status, ' ' || char(9, 12288)) LIKE '在营%'
        OR trim(r.status, ' ' || char(9, 12288)) LIKE '在册%'
        OR trim(r.status, ' ' || char(9, 12288)) LIKE '正常%')
   AND coalesce(r.serious_dishonesty, '') NOT IN ('1', '是', 'Y', 'y')
   AND u.ui_status NOT IN ('终止', '注销')
   -- repeated registration or unit rows must agree on what is used here
   AND (SELECT count(*) FROM (SELECT DISTINCT name, status, serious_dishonesty
                                FROM registration r2 WHERE r2.uscc = f.uscc)) = 1
   AND (SELECT count(*) FROM (SELECT DISTINCT account_name, bank_name, bank_account, ui_status
                                FROM insured_units u2 WHERE u2.uscc = f.uscc)) = 1
 GROUP BY f.uscc  -- repeated rows that agree give one line
 ORDER BY f.uscc;

COMMIT;
