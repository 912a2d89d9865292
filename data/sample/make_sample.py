#!/usr/bin/env python3
"""Writes the sample extracts of data/sample/ (see README.md there): 40 firms
of Anshan, contributions 2020-01..2021-12, most of them firms the 2022 run
should pay, one firm for each case the rules treat, and a few broken rows.
Deterministic: no randomness, the same bytes every run.

    python3 data/sample/make_sample.py [OUT_DIR]    (default: beside this script)
"""
import os
import sys

CODE_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(first17):
    """The code with its GB 32100-2015 check character."""
    total = sum(CODE_SET.index(c) * w for c, w in zip(first17, WEIGHTS))
    check = 31 - total % 31
    return first17 + CODE_SET[0 if check == 31 else check]


def org_code(n):
    """Nine characters of an organisation code, spread over the code set."""
    value = (n * 7919 + 104729) % (31 ** 6)
    tail = ""
    for _ in range(6):
        tail = CODE_SET[value % 31] + tail
        value //= 31
    return "MA0" + tail


DISTRICTS = {
    "210302": "铁东区", "210303": "铁西区", "210304": "立山区", "210311": "千山区",
    "210381": "海城市", "210321": "台安县", "210323": "岫岩满族自治县",
}
REGIONS = list(DISTRICTS)
WORDS = ["恒通", "鑫达", "华宇", "天成", "金泰", "宏盛", "博远", "利民", "瑞丰", "兴隆",
         "永安", "德润", "嘉禾", "盛源", "泰和", "长青", "东方", "众诚", "广源", "宝丰",
         "新世纪", "正阳", "汇金", "信达", "和顺", "福瑞", "卓越", "精工", "鼎盛", "友谊",
         "聚鑫", "万和", "昌隆", "恒远", "大成", "华信", "金诚", "隆兴", "益民", "安泰"]
TRADES = [("商贸", "F5199"), ("机械制造", "C3429"), ("餐饮管理", "H6210"), ("装饰工程", "E5010"),
          ("软件科技", "I6513"), ("物流", "G5431"), ("印刷", "C2319"), ("钢材经销", "F5174"),
          ("汽车维修", "O8111")]
BANKS = [("中国工商银行股份有限公司鞍山{}支行", "102223000"), ("中国农业银行股份有限公司鞍山{}支行", "103223000"),
         ("中国银行股份有限公司鞍山{}支行", "104223000"), ("中国建设银行股份有限公司鞍山{}支行", "105223000"),
         ("鞍山银行股份有限公司{}支行", "313223000")]
BRANCHES = ["铁东", "铁西", "立山", "千山", "胜利", "站前", "二一九", "湖南"]

# The firm that gets each deliberate case, by index (0-39); the others are
# plain firms the 2022 run should pay. README.md lists the same.
CASES = {
    22: "over_scope", 23: "arrears", 24: "new_firm", 25: "reg_inactive", 26: "reg_suspended",
    27: "dishonest", 28: "ui_terminated", 29: "ui_suspended", 30: "reg_missing", 31: "unit_missing",
    32: "labour_dispatch", 33: "name_mismatch", 34: "payee_mismatch", 35: "no_account",
    36: "account_invalid", 37: "layoff", 38: "bad_date", 39: "conflict",
    # plain firms that also show a detail of the extracts
    3: "full_width_name", 5: "tax_account", 7: "exact_duplicate", 9: "lower_case_code",
    11: "bad_money", 13: "mistyped_check", 15: "unknown_ui_status",
}

MONTHS = [(y, m) for y in (2020, 2021) for m in range(1, 13)]


def firm(i):
    region = REGIONS[i % len(REGIONS)]
    word = WORDS[i]
    trade, industry = TRADES[i % len(TRADES)]
    case = CASES.get(i, "pay")
    if case == "labour_dispatch":
        trade, industry = "劳务派遣", "L7263"
    name = "鞍山市{}{}有限公司".format(word, trade)
    if case == "full_width_name":
        name = "{}（鞍山）{}有限公司".format(word, trade)
    staff = 3 + (i * 5) % 8          # 3..10
    if case == "over_scope":
        staff = 15
    if case == "layoff":
        staff = 10
    base = 3000 + (i * 1300) % 5000  # monthly wage base per person, yuan
    base -= base % 200
    bank_name, bank_prefix = BANKS[i % len(BANKS)]
    return {
        "index": i, "case": case, "region": region, "name": name, "industry": industry,
        "code": uscc("91" + region + org_code(i)), "staff": staff, "base": base,
        "established": "{}-{:02d}-{:02d}".format(2008 + i % 12, 1 + i % 12, 1 + (i * 7) % 28),
        "insured": "2021-04-01" if case == "new_firm" else "{}-{:02d}-01".format(2009 + i % 11, 1 + (i * 5) % 12),
        "bank_name": bank_name.format(BRANCHES[i % len(BRANCHES)]),
        "bank_code": "{}{:02d}{}".format(bank_prefix, 10 + i, i % 10),
        "account": "{:04d} {:04d} {:04d} {:04d} {:03d}".format(704 + i, 2010 + i * 3, 9000 + i * 17, 1234 + i, i),
    }


FIRMS = [firm(i) for i in range(40)]


def yuan(fen, plain=False):
    """Yuan as the agency writes it: two decimals, or none when whole and plain."""
    if plain and fen % 100 == 0:
        return str(fen // 100)
    return "{}.{:02d}".format(fen // 100, fen % 100)


def registration_rows():
    rows = []
    for f in FIRMS:
        case = f["case"]
        if case == "reg_missing":
            continue
        status = ["存续（在营、开业、在册）", "在业", "开业", "存续"][f["index"] % 4]
        deregistered = ""
        if case == "reg_inactive":
            status = "吊销，未注销"
        if case == "reg_suspended":
            status = "停业"
        established = f["established"]
        if f["index"] % 3 == 0:
            established = established.replace("-", "")
        if case == "new_firm":
            established = "2021-03-15"
        if case == "bad_date":
            established = "2018-02-30"
        dishonest = "是" if case == "dishonest" else ("否" if f["index"] % 2 else "")
        rows.append([f["code"], f["name"], status, established, deregistered, f["region"],
                     f["industry"], dishonest])
    return rows


def unit_rows():
    rows = []
    for f in FIRMS:
        case = f["case"]
        if case == "unit_missing":
            continue
        code = f["code"].lower() if case == "lower_case_code" else f["code"]
        unit_name = f["name"]
        if case == "full_width_name":
            unit_name = unit_name.replace("（", "(").replace("）", ")")
        if case == "name_mismatch":
            unit_name = unit_name.replace("有限公司", "经营部")
        status = "正常" if f["index"] % 2 else "参保缴费"
        if case == "ui_terminated":
            status = "终止"
        if case == "ui_suspended":
            status = "暂停缴费"
        if case == "unknown_ui_status":
            status = "正常缴费"
        account_name = f["name"]
        if case == "payee_mismatch":
            account_name = "李明"
        account = f["account"]
        if f["index"] % 4 == 1:
            account = account.replace(" ", "-")
        if f["index"] % 4 == 2:
            account = account.replace(" ", "")
        if case == "no_account":
            account = ""
        if case == "account_invalid":
            account = "6222-0200-ABCD-17"
        source = "税务" if case == "tax_account" else ("对公" if f["index"] % 3 else "")
        rows.append([code, "2103{:08d}".format(1000 + f["index"] * 37), unit_name, f["insured"], status,
                     account_name, f["bank_name"], account, source, f["bank_code"]])
    return rows


def contribution_rows():
    rows = []
    for f in FIRMS:
        case = f["case"]
        for (year, month) in MONTHS:
            if case == "new_firm" and (year, month) < (2021, 4):
                continue
            staff = f["staff"]
            if case == "layoff" and (year, month) >= (2021, 7):
                staff = 7
            base = f["base"] - (200 if year == 2020 else 0)
            due = staff * base // 2          # 0.5 % of the wage bill, in fen
            employer_paid = employee_paid = due
            if case == "arrears" and (year, month) in ((2021, 9), (2021, 10)):
                employer_paid = 0
            claimants = 2 if case == "layoff" and (year, month) == (2021, 7) else 0
            plain = f["index"] % 5 == 0
            period = "{}{:02d}".format(year, month) if f["index"] % 2 else "{}-{:02d}".format(year, month)
            row = [f["code"], period, str(staff), yuan(due, plain), yuan(employer_paid, plain),
                   yuan(due, plain), yuan(employee_paid, plain), str(claimants)]
            if case == "bad_money" and (year, month) == (2021, 6):
                row[3] = "1,234.00"
            if case == "mistyped_check" and (year, month) == (2021, 3):
                wrong = CODE_SET[(CODE_SET.index(f["code"][17]) + 1) % 31]
                row[0] = f["code"][:17] + wrong
            rows.append(row)
            if case == "exact_duplicate" and (year, month) == (2021, 5):
                again = list(row)  # written differently, equal after parsing
                again[1] = "{}{:02d}".format(year, month) if "-" in period else "{}-{:02d}".format(year, month)
                again[3] = yuan(due) if plain else str(due // 100) + ("" if due % 100 == 0 else ".{}".format(due % 100))
                rows.append(again)
            if case == "conflict" and (year, month) == (2021, 8):
                again = list(row)
                again[4] = yuan(employer_paid - 1000)  # the same month, a different amount paid
                rows.append(again)
    return rows


def csv_line(fields, line_end):
    out = []
    for field in fields:
        if any(c in field for c in ',"\r\n'):
            field = '"' + field.replace('"', '""') + '"'
        out.append(field)
    return ",".join(out) + line_end


def write(path, header, rows, encoding, line_end, trailer=""):
    text = csv_line(header, line_end) + "".join(csv_line(r, line_end) for r in rows) + trailer
    with open(path, "wb") as out:
        out.write(text.encode(encoding))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    # As Excel on a Chinese Windows saves "CSV UTF-8": BOM, CRLF, Chinese
    # headers, and an empty last row of commas.
    write(os.path.join(out, "registration.csv"),
          ["统一社会信用代码", "企业名称", "登记状态", "成立日期", "注销日期", "行政区划代码", "行业代码", "严重失信"],
          registration_rows(), "utf-8-sig", "\r\n", ",,,,,,,\r\n")
    # As Excel saves plain "CSV": GB18030 (GBK), CRLF, Chinese headers.
    write(os.path.join(out, "insured_units.csv"),
          ["统一社会信用代码", "单位编号", "单位名称", "参保日期", "参保状态", "账户名称", "开户银行", "银行账号",
           "账户来源", "开户行行号"],
          unit_rows(), "gb18030", "\r\n")
    # As the agency's system exports it: UTF-8, LF, canonical names.
    write(os.path.join(out, "contributions.csv"),
          ["uscc", "period", "insured_count", "employer_due", "employer_paid", "employee_due", "employee_paid",
           "new_claimants"],
          contribution_rows(), "utf-8", "\n")


if __name__ == "__main__":
    main()
