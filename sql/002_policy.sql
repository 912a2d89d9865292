-- Policy parameters, one row per policy year (docs/rules.md, "Parameters").
-- The program reads every threshold, rate and method from here; a new
-- policy year is added by the bureau with `rebate params add` (docs/rules.md).
-- Rates are percent, layoff limits permille, review_amount_fen whole fen;
-- legal_reference names the notice(s) the row comes from and is printed by
-- `explain` beside every parameter it uses.

CREATE TABLE policy_params (
    policy_year                    INTEGER PRIMARY KEY,
    rate_smm_pct                   INTEGER NOT NULL CHECK (rate_smm_pct BETWEEN 0 AND 100),
    rate_large_pct                 INTEGER NOT NULL CHECK (rate_large_pct BETWEEN 0 AND 100),
    layoff_target_permille         INTEGER NOT NULL CHECK (layoff_target_permille >= 0),
    small_unit_layoff_cap_permille INTEGER NOT NULL CHECK (small_unit_layoff_cap_permille >= 0),
    full_months_rule               TEXT NOT NULL CHECK (full_months_rule IN ('cumulative', 'data_year')),
    tax_account_allowed            INTEGER NOT NULL CHECK (tax_account_allowed IN (0, 1)),
    layoff_method                  TEXT NOT NULL CHECK (layoff_method IN ('december_stock', 'claimants')),
    scope_max_headcount            INTEGER NOT NULL DEFAULT 10 CHECK (scope_max_headcount >= 0),
    small_unit_max_headcount       INTEGER NOT NULL DEFAULT 30 CHECK (small_unit_max_headcount >= 0),
    min_full_months                INTEGER NOT NULL DEFAULT 12 CHECK (min_full_months >= 0),
    large_firm_min_headcount       INTEGER NOT NULL DEFAULT 300 CHECK (large_firm_min_headcount >= 0),
    review_amount_fen              INTEGER NOT NULL DEFAULT 2000000 CHECK (review_amount_fen >= 0),
    headcount_basis                TEXT NOT NULL DEFAULT 'december'
                                   CHECK (headcount_basis IN ('december', 'average')),
    legal_reference                TEXT NOT NULL CHECK (legal_reference <> '')
);

INSERT INTO policy_params (policy_year, rate_smm_pct, rate_large_pct, layoff_target_permille,
                           small_unit_layoff_cap_permille, full_months_rule, tax_account_allowed,
                           layoff_method, legal_reference) VALUES
    (2020, 100, 50, 55, 200, 'cumulative', 0, 'december_stock',
     '国办发〔2020〕6号；人社部、财政部2020年专项支持计划'),
    (2021, 60, 30, 60, 200, 'cumulative', 0, 'december_stock', '人社部发〔2021〕29号'),
    (2022, 90, 50, 55, 200, 'data_year', 1, 'december_stock', '人社部发〔2022〕23号；辽人社发〔2022〕10号'),
    (2023, 60, 30, 55, 200, 'data_year', 1, 'claimants',
     '人社部、财政部、税务总局2023年延续实施失业保险稳岗返还政策的通知（裁员率按新增领取失业保险金人数与月平均参保人数之比）'),
    (2024, 60, 30, 55, 200, 'data_year', 1, 'claimants',
     '人社部、财政部、税务总局《关于延续实施失业保险援企稳岗政策的通知》（人社部发〔2024〕40号）'),
    (2025, 60, 30, 55, 200, 'data_year', 1, 'claimants',
     '人社部、财政部、税务总局《关于延续实施失业保险稳岗惠民政策措施的通知》（2025年）');
