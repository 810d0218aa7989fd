"""The generalization check's plain-words paraphrases of CFPB issues: each ``concept`` names
the issue values a phrase was written for and, for uniqueness, the broader set it may be read
as (the named sets below: one phrase can mean any of them). Apart from vocabulary.py for its
size; the resolver's own vocabulary (retrieval/) is never its source."""

from __future__ import annotations

from eval.generalization.vocabulary import concept

PAYMENT = {
    "Problem when making payments", "Trouble during payment process",
    "Loan payment wasn't credited to your account", "Making/receiving payments, sending money",
}  # fmt: skip
STRUGGLE = {
    "Struggling to pay your loan", "Struggling to repay your loan", "Struggling to pay mortgage",
    "Struggling to pay your bill", "Problems when you are unable to pay",
}  # fmt: skip
FEES = {
    "Charged fees or interest you didn't expect", "Charged fees or interest I didn't expect",
    "Unexpected or other fees", "Fees or interest", "Excessive fees",
}  # fmt: skip
WITHDRAWALS = {
    "Can't stop withdrawals from your bank account",
    "Money was taken from your bank account on the wrong day or for the wrong amount",
    "Problem with a lender or other company charging your account",
}
CONTACT = {
    "Dealing with your lender or servicer", "Can't contact lender or servicer",
    "Problem with customer service",
}  # fmt: skip
CLOSING = {
    "Closing an account", "Closing your account", "Account opening, closing, or management",
    "Problem getting a card or closing an account",
    "Managing, opening, or closing your mobile wallet account",
}  # fmt: skip
GETTING_LOAN = {
    "Getting the loan", "Getting a loan", "Getting a loan or lease", "Shopping for a loan or lease",
    "Was approved for a loan, but didn't receive the money",
    "Was approved for a loan, but didn't receive money", "Application processing delay",
}  # fmt: skip

ISSUES = [
    concept(
        "wrong-report",
        ["Incorrect information on your report"],
        [],
        [
            "wrong information on a credit report",
            "errors on their credit report",
            "incorrect info on the report",
            "an inaccurate credit file",
            "mistakes on a credit report",
        ],
    ),
    concept(
        "investigation",
        [
            "Problem with a credit reporting company's investigation into an existing problem",
        ],
        ["Problem with a company's investigation into an existing issue"],
        [
            "a dispute that was never properly investigated",
            "a botched investigation of a dispute",
            "their dispute not being looked into",
            "how a dispute was investigated",
        ],
    ),
    concept(
        "fees",
        ["Charged fees or interest you didn't expect", "Charged fees or interest I didn't expect"],
        FEES,
        [
            "unexpected fees",
            "surprise fees or interest",
            "fees they didn't expect",
            "hidden fees",
            "interest charges nobody warned them about",
        ],
    ),
    concept(
        "not-owed",
        ["Attempts to collect debt not owed", "Cont'd attempts collect debt not owed"],
        [],
        [
            "being chased for a debt they don't owe",
            "collecting a debt that isn't theirs",
            "a debt the consumer says they never owed",
            "chased for a debt I don't owe",
        ],
    ),
    concept(
        "payments",
        ["Problem when making payments"],
        PAYMENT,
        [
            "trouble making payments",
            "payment problems",
            "not being able to make a payment",
        ],
    ),
    concept(
        "misuse",
        ["Improper use of your report"],
        [],
        [
            "someone pulling their credit without permission",
            "misuse of a credit report",
            "an unauthorized credit check",
        ],
    ),
    concept(
        "struggling",
        ["Struggling to pay your loan", "Struggling to repay your loan"],
        STRUGGLE,
        [
            "struggling to keep up with the loan",
            "having a hard time paying the loan back",
            "not being able to afford the loan payments",
        ],
    ),
    concept(
        "managing",
        ["Managing an account"],
        [
            "Account opening, closing, or management",
            "Managing the loan or lease",
        ],
        ["problems managing the account", "trouble with how the account was handled"],
    ),
    concept(
        "payoff",
        ["Problem with the payoff process at the end of the loan"],
        [
            "Payoff process",
            "Problems at the end of the loan or lease",
        ],
        ["paying off the loan", "trouble with the loan payoff", "closing out the loan at the end"],
    ),
    concept(
        "notice",
        ["Written notification about debt"],
        ["Disclosure verification of debt"],
        [
            "never getting a written notice about the debt",
            "no letter explaining the debt",
            "a missing debt validation letter",
        ],
    ),
    concept(
        "getting-loan",
        ["Getting the loan", "Getting a loan"],
        GETTING_LOAN,
        [
            "trouble getting the loan",
            "problems taking out a loan",
        ],
    ),
    concept(
        "credit-line",
        ["Getting a line of credit"],
        [],
        [
            "opening a line of credit",
            "getting a credit line",
        ],
    ),
    concept(
        "add-ons",
        ["Problem with additional add-on products or services"],
        [],
        [
            "add-on products they didn't want",
            "extra add-on services",
        ],
    ),
    concept(
        "mortgage-struggle",
        ["Struggling to pay mortgage"],
        STRUGGLE,
        [
            "falling behind on the mortgage",
            "not being able to afford the mortgage payments",
        ],
    ),
    concept(
        "statement",
        ["Problem with a purchase shown on your statement"],
        [
            "Billing disputes",
            "Unauthorized transactions or other transaction problem",
            "Other transaction problem",
        ],
        ["a charge on the statement they don't recognize", "a disputed purchase on a statement"],
    ),
    concept(
        "calls",
        ["Communication tactics"],
        [
            "Improper contact or sharing of info",
            "Threatened to contact someone or share information improperly",
        ],
        ["harassing phone calls", "being called over and over", "aggressive collection calls"],
    ),
    concept(
        "no-report",
        ["Unable to get your credit report or credit score"],
        [],
        [
            "not being able to get a copy of their credit report",
            "no access to their credit score",
        ],
    ),
    concept(
        "legal",
        ["Took or threatened to take negative or legal action"],
        [
            "Taking/threatening an illegal action",
        ],
        ["threats to sue", "threatened legal action", "being threatened with court"],
    ),
    concept(
        "servicer",
        ["Dealing with your lender or servicer"],
        CONTACT,
        [
            "dealing with their lender",
            "trouble working with the servicer",
        ],
    ),
    concept(
        "not-applied",
        ["Received a loan you didn't apply for"],
        [
            "Identity theft / Fraud / Embezzlement",
        ],
        ["a loan they never applied for", "a loan opened in their name without asking"],
    ),
    concept(
        "false",
        ["False statements or representation"],
        [
            "Confusing or misleading advertising or marketing",
        ],
        ["being lied to", "misleading statements"],
    ),
    concept(
        "freeze",
        ["Problem with fraud alerts or security freezes"],
        [],
        [
            "a credit freeze",
            "a fraud alert on their file",
        ],
    ),
    concept(
        "closing",
        ["Closing an account", "Closing your account"],
        CLOSING,
        [
            "closing the account",
            "trouble shutting down their account",
        ],
    ),
    concept(
        "repo",
        ["Vehicle was repossessed or sold the vehicle"],
        [],
        [
            "a repossessed car",
            "the car getting repossessed",
        ],
    ),
    concept(
        "withdrawals",
        ["Can't stop withdrawals from your bank account"],
        WITHDRAWALS,
        [
            "withdrawals from their bank account they couldn't stop",
            "money still being pulled from the bank account",
        ],
    ),
    concept(
        "scam",
        ["Fraud or scam"],
        ["Identity theft / Fraud / Embezzlement"],
        [
            "a scam",
            "getting scammed",
        ],
    ),
    concept(
        "wrong-amount",
        [
            "Money was taken from your bank account on the wrong day or for the wrong amount",
        ],
        WITHDRAWALS,
        ["money taken on the wrong day", "a debit for the wrong amount"],
    ),
    concept(
        "not-credited",
        ["Loan payment wasn't credited to your account"],
        PAYMENT,
        [
            "a payment that never got credited",
            "a loan payment not applied to the account",
        ],
    ),
    concept(
        "monitoring",
        ["Credit monitoring or identity theft protection services"],
        [
            "Identity theft protection or other monitoring services",
        ],
        ["identity theft protection", "a credit monitoring service"],
    ),
    concept(
        "no-money",
        [
            "Was approved for a loan, but didn't receive the money",
            "Was approved for a loan, but didn't receive money",
        ],
        [
            "Money was not available when promised",
        ],
        ["approved but never got the money", "loan money that never arrived"],
    ),
    concept(
        "cant-reach",
        ["Can't contact lender or servicer"],
        CONTACT,
        [
            "not being able to reach the lender",
            "nobody answering at the servicer",
        ],
    ),
    concept(
        "refinance",
        ["Applying for a mortgage or refinancing an existing mortgage"],
        [
            "Applying for a mortgage",
        ],
        ["a refinance application", "applying for a mortgage"],
    ),
    concept(
        "low-funds",
        ["Problem caused by your funds being low"],
        [
            "Problems caused by my funds being low",
        ],
        ["overdraft trouble", "problems from a low balance"],
    ),
    concept(
        "card-apply",
        ["Getting a credit card"],
        [],
        [
            "applying for a credit card",
            "getting approved for a card",
        ],
    ),
]
ISSUE_OF = {v: c for c in ISSUES for v in c.primary}
