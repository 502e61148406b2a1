//! The fixed words of the web pages in English, Simplified and Traditional Chinese. Words a
//! document already prints (document number, revision, effective date, owner) come from
//! the documents' own table ([`crate::render::labels`]) so that page and PDF agree.

use std::collections::BTreeMap;

use crate::render::labels::{self, Script};

/// (key, English, Simplified, Traditional).
const WEB_LABELS: &[(&str, &str, &str, &str)] = &[
    ("sign_in", "Sign in", "登录", "登入"),
    ("sign_out", "Sign out", "退出", "登出"),
    ("login", "Login", "用户名", "使用者名稱"),
    ("password", "Password", "密码", "密碼"),
    ("my_work", "My work", "我的工作", "我的工作"),
    ("language", "Language", "语言", "語言"),
    ("apply", "Apply", "应用", "套用"),
    ("my_departments", "My departments", "我的部门", "我的部門"),
    (
        "work_placeholder",
        "The open steps of your departments will be listed here.",
        "您所在部门的待办步骤将列在此处。",
        "您所在部門的待辦步驟將列在此處。",
    ),
    ("no_documents", "No documents.", "没有文件。", "沒有文件。"),
    ("draft", "draft", "草稿", "草稿"),
    ("pdf", "PDF", "PDF", "PDF"),
    ("not_built", "not built", "未生成", "未產生"),
    (
        "wrong_credentials",
        "The login or the password is wrong.",
        "用户名或密码错误。",
        "使用者名稱或密碼錯誤。",
    ),
    (
        "throttled",
        "Too many failed sign-ins for this login. Try again later.",
        "该用户登录失败次数过多，请稍后再试。",
        "該使用者登入失敗次數過多，請稍後再試。",
    ),
    (
        "disabled",
        "This account is disabled.",
        "该账户已停用。",
        "該帳戶已停用。",
    ),
    (
        "setup",
        "Create the first quality manager",
        "创建首个质量管理员",
        "建立首位品質管理員",
    ),
    ("printed_name", "Printed name", "签署姓名", "簽署姓名"),
    ("departments", "Departments", "部门", "部門"),
    ("create", "Create", "创建", "建立"),
    (
        "setup_used",
        "This setup link is no longer valid: sign in instead.",
        "此设置链接已失效，请直接登录。",
        "此設定連結已失效，請直接登入。",
    ),
    ("not_found", "Not found", "未找到", "找不到"),
    ("forbidden", "Refused", "已拒绝", "已拒絕"),
    ("role_staff", "staff", "员工", "員工"),
    ("role_quality", "quality", "质量", "品質"),
];

/// Keys of the documents' own table that the pages use too.
const DOCUMENT_KEYS: &[&str] = &[
    "document_no",
    "title",
    "revision",
    "effective",
    "owner",
    "documents",
];

/// Every label of the web pages in one language (any code; unknown ones are English).
pub fn web_labels(lang: &str) -> BTreeMap<&'static str, String> {
    let script = Script::of(lang);
    let mut out: BTreeMap<&'static str, String> = WEB_LABELS
        .iter()
        .chain(super::run_labels::RUN_LABELS)
        .chain(super::sign_labels::SIGN_LABELS)
        .chain(super::training_labels::TRAINING_LABELS)
        .chain(super::overview_labels::OVERVIEW_LABELS)
        .map(|(key, en, hans, hant)| {
            let text = match script {
                Script::English => en,
                Script::Simplified => hans,
                Script::Traditional => hant,
            };
            (*key, (*text).to_string())
        })
        .collect();
    for key in DOCUMENT_KEYS {
        out.insert(key, labels::label(key, lang));
    }
    out
}

/// The name of a language in that language, for the language switch.
pub fn language_name(code: &str) -> String {
    match Script::of(code) {
        Script::Simplified => "简体中文".into(),
        Script::Traditional => "繁體中文".into(),
        Script::English if code.to_ascii_lowercase().starts_with("en") => "English".into(),
        Script::English => code.to_string(),
    }
}
