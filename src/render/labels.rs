//! The fixed words of every document ("Purpose", "Page X of Y", "Prepared by"), localised for
//! English, Simplified and Traditional Chinese, and durations said in each language.

use std::collections::BTreeMap;

use crate::spec::duration::{Duration, Unit};

/// The label languages procdoc knows; any other language code falls back to English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    English,
    Simplified,
    Traditional,
}

impl Script {
    /// `zh`, `zh-Hans`, `zh-CN` are Simplified; `zh-Hant`, `zh-TW`, `zh-HK` Traditional.
    pub fn of(lang: &str) -> Script {
        let lower = lang.to_ascii_lowercase();
        if lower.starts_with("zh") {
            if ["hant", "tw", "hk", "mo"].iter().any(|t| lower.contains(t)) {
                Script::Traditional
            } else {
                Script::Simplified
            }
        } else {
            Script::English
        }
    }

    /// The typst language (and region) for hyphenation, quotes and CJK line breaking.
    pub fn typst_lang(self) -> (&'static str, Option<&'static str>) {
        match self {
            Script::English => ("en", None),
            Script::Simplified => ("zh", Some("CN")),
            Script::Traditional => ("zh", Some("TW")),
        }
    }
}

/// The typst language (and region) of a language code: Chinese by its script, Japanese
/// and Korean for their line breaking, anything else English.
pub fn typst_lang(code: &str) -> (&'static str, Option<&'static str>) {
    let lower = code.to_ascii_lowercase();
    if lower.starts_with("ja") {
        ("ja", None)
    } else if lower.starts_with("ko") {
        ("ko", None)
    } else {
        Script::of(code).typst_lang()
    }
}

/// (key, English, Simplified, Traditional). `{x}` and `{y}` are filled in by templates.
const LABELS: &[(&str, &str, &str, &str)] = &[
    ("document_no", "Document No.", "文件编号", "文件編號"),
    ("revision", "Revision", "版本", "版本"),
    ("effective", "Effective date", "生效日期", "生效日期"),
    ("page", "Page", "页", "頁"),
    (
        "page_of",
        "Page {x} of {y}",
        "第 {x} 页 共 {y} 页",
        "第 {x} 頁 共 {y} 頁",
    ),
    ("approvals", "Approval", "审批", "審批"),
    ("prepared", "Prepared by", "编制", "編制"),
    ("reviewed", "Reviewed by", "审核", "審核"),
    ("approved", "Approved by", "批准", "批准"),
    ("name", "Name", "姓名", "姓名"),
    ("date", "Date", "日期", "日期"),
    ("history", "Revision history", "修订记录", "修訂記錄"),
    ("change", "Description of change", "修订内容", "修訂內容"),
    ("changed_by", "By", "修订人", "修訂人"),
    ("purpose", "Purpose", "目的", "目的"),
    ("scope", "Scope", "适用范围", "適用範圍"),
    ("definitions", "Definitions", "定义", "定義"),
    ("responsibilities", "Responsibilities", "职责", "職責"),
    ("matrix", "Responsibility matrix", "职责矩阵", "職責矩陣"),
    (
        "matrix_legend",
        "R = responsible, C = consulted",
        "R = 负责, C = 协助",
        "R = 負責, C = 協助",
    ),
    ("procedure", "Procedure", "工作程序", "作業程序"),
    ("related", "Related documents", "相关文件", "相關文件"),
    ("records", "Records", "记录", "記錄"),
    ("form_no", "Form No.", "表单编号", "表單編號"),
    ("title", "Title", "名称", "名稱"),
    ("retention", "Retention", "保存期限", "保存期限"),
    ("keeper", "Kept by", "保管部门", "保管部門"),
    ("trigger", "Trigger", "触发条件", "觸發條件"),
    ("target", "Target time", "目标时间", "目標時間"),
    ("flowchart", "Flowchart", "流程图", "流程圖"),
    ("see_page", "see page {x}", "见第 {x} 页", "見第 {x} 頁"),
    ("steps", "Steps", "步骤", "步驟"),
    ("step", "Step", "步骤", "步驟"),
    ("who", "Responsible", "负责", "負責"),
    ("with", "Consulted", "协助", "協助"),
    ("deadline", "Deadline", "时限", "時限"),
    ("check", "Check", "检查项", "檢查項"),
    ("produces", "Records produced", "产生记录", "產生記錄"),
    ("uses", "Records used", "使用记录", "使用記錄"),
    ("decision", "Decision", "判断", "判斷"),
    ("next", "Next", "下一步", "下一步"),
    ("parallel", "In parallel", "同时进行", "同時進行"),
    (
        "join",
        "Waits for all branches",
        "等待所有分支完成",
        "等待所有分支完成",
    ),
    (
        "join_started",
        "Waits for every branch that was started",
        "等待所有已开始的分支完成",
        "等待所有已開始的分支完成",
    ),
    (
        "one_or_more",
        "one or more may be chosen",
        "可选择一项或多项",
        "可選擇一項或多項",
    ),
    ("end", "End", "结束", "結束"),
    ("calls", "Runs", "执行", "執行"),
    (
        "not_by",
        "Not by the person who did",
        "不得由以下步骤的执行人完成",
        "不得由以下步驟的執行人完成",
    ),
    ("planned", "Planned date", "计划日期", "計劃日期"),
    ("rules", "Standing rules", "常规规定", "常規規定"),
    ("rule", "Rule", "规定", "規定"),
    ("start", "Start", "开始", "開始"),
    ("draft", "DRAFT", "草稿", "草稿"),
    ("awaiting_approval", "AWAITING APPROVAL", "待批准", "待批准"),
    ("controlled", "CONTROLLED COPY", "受控副本", "受控副本"),
    ("obsolete", "OBSOLETE", "作废", "作廢"),
    ("fingerprint", "Fingerprint", "指纹", "指紋"),
    ("owner", "Owner", "归口部门", "歸口部門"),
    ("iso", "ISO 9001 clauses", "ISO 9001 条款", "ISO 9001 條款"),
    ("review_every", "Periodic review", "定期评审", "定期評審"),
    ("internal", "This QMS", "本体系文件", "本體系文件"),
    ("external", "External", "外部文件", "外部文件"),
    ("form", "Form", "表单", "表單"),
    ("procedure_doc", "Procedure", "程序文件", "程序文件"),
    ("signature", "Signature", "签名", "簽名"),
    (
        "reference",
        "Reference (order / case no.)",
        "编号(订单/案件)",
        "編號(訂單/案件)",
    ),
    ("traveller", "Checklist", "检查表", "檢查表"),
    ("time_window", "Time", "时间", "時間"),
    ("earliest", "Earliest", "最早", "最早"),
    ("latest", "Latest", "最迟", "最遲"),
    ("not_applicable", "N/A", "不适用", "不適用"),
    (
        "not_applicable_hint",
        "N/A: tick for a step on a branch this run did not take",
        "不适用：本次未走到的分支上的步骤请勾选",
        "不適用：本次未走到的分支上的步驟請勾選",
    ),
    ("form_to_fill", "Form to fill", "填写表单", "填寫表單"),
    ("date_time", "Date / time", "日期 / 时间", "日期 / 時間"),
    ("repeat", "Repeat", "重复", "重複"),
    ("outcome", "Outcome", "结果", "結果"),
    ("done", "Done", "完成", "完成"),
    ("remarks", "Remarks", "备注", "備註"),
    ("yes", "Yes", "是", "是"),
    ("no", "No", "否", "否"),
    ("started", "Started", "开始时间", "開始時間"),
    ("finished", "Finished", "完成时间", "完成時間"),
    ("continued", "continued", "续", "續"),
    ("of_step", "of step", "于步骤", "於步驟"),
    (
        "from_start",
        "from the start of the flow",
        "自流程开始",
        "自流程開始",
    ),
    ("before", "before", "之前", "之前"),
    ("after_completion", "after completion", "完成后", "完成後"),
    ("within", "within", "内", "內"),
    ("only_after", "only after", "后方可进行", "後方可進行"),
    ("full_then", "after {x}", "满{x}方可进行", "滿{x}方可進行"),
    ("not_earlier_than", "not earlier than", "不早于", "不早於"),
    ("every", "every", "每", "每"),
    ("in", "in", "于", "於"),
    ("master_list", "Master list", "文件清单", "文件清單"),
    (
        "master_list_title",
        "Master list of documents and records",
        "文件和记录总览",
        "文件和記錄總覽",
    ),
    (
        "records_register",
        "Records register",
        "记录清单",
        "記錄清單",
    ),
    ("where_used", "Where-used index", "使用索引", "使用索引"),
    ("status", "Status", "状态", "狀態"),
    ("next_review", "Next review", "下次评审", "下次評審"),
    ("used_by", "Used by", "使用于", "使用於"),
    ("as_of", "As of", "截至", "截至"),
    ("controlled_state", "CONTROLLED", "受控", "受控"),
    (
        "modified",
        "MODIFIED SINCE RELEASE",
        "发布后已修改",
        "發布後已修改",
    ),
    (
        "forms_records",
        "Forms and records",
        "表单和记录",
        "表單和記錄",
    ),
    (
        "departments_parties",
        "Departments and parties",
        "部门和相关方",
        "部門和相關方",
    ),
    ("documents", "Documents", "文件", "文件"),
    ("role_produces", "produces", "产生", "產生"),
    ("role_uses", "uses", "使用", "使用"),
    ("role_responsible", "responsible", "负责", "負責"),
    ("role_consulted", "consulted", "协助", "協助"),
    ("role_owner", "owner", "归口", "歸口"),
    (
        "role_calls",
        "runs a flow of it",
        "执行其流程",
        "執行其流程",
    ),
    ("role_referenced", "referenced", "引用", "引用"),
    // The record of a checklist run.
    ("run_record", "Run record", "运行记录", "執行記錄"),
    ("reference", "Reference", "单号", "單號"),
    ("flow", "Flow", "流程", "流程"),
    ("quality_record", "QUALITY RECORD", "质量记录", "品質記錄"),
    ("ended", "Ended", "结束时间", "結束時間"),
    ("flow_due", "Flow due", "流程期限", "流程期限"),
    ("period", "Period", "周期", "週期"),
    ("item", "Item", "项目", "項目"),
    ("note", "Note", "注", "註"),
    ("attached", "Attached", "附件", "附件"),
    (
        "content_fingerprint",
        "Content fingerprint",
        "内容指纹",
        "內容指紋",
    ),
    ("what", "What", "内容", "內容"),
    ("state", "State", "状态", "狀態"),
    ("signed", "Signed", "签署", "簽署"),
    ("for_dept", "for", "代表", "代表"),
    (
        "on_behalf_of",
        "recorded on behalf of",
        "代为记录，代表",
        "代為記錄，代表",
    ),
    ("time_zone", "Time zone", "时区", "時區"),
    // The meaning of a signature (21 CFR Part 11 §11.50(a)(3)).
    ("sig_performed", "performed", "执行", "執行"),
    ("sig_reviewed", "reviewed", "审核", "審核"),
    ("sig_approved", "approved", "批准", "核准"),
    ("late_by", "late by", "逾期", "逾期"),
    ("due", "due", "期限", "期限"),
    ("not_before", "not before", "不早于", "不早於"),
    ("overdue", "overdue", "已逾期", "已逾期"),
    ("waived", "waived", "豁免", "豁免"),
    ("audit_trail", "Audit trail", "审计追踪", "稽核軌跡"),
    ("audit_chain", "Audit chain", "审计链", "稽核鏈"),
    ("when", "When", "时间", "時間"),
    ("by_whom", "Who", "签署人", "簽署人"),
    ("hash", "Hash", "哈希", "雜湊"),
    (
        "chain_of",
        "Chain of {x} events, last hash {y}",
        "审计链共 {x} 个事件，末个哈希 {y}",
        "稽核鏈共 {x} 個事件，末個雜湊 {y}",
    ),
    ("intact", "intact", "完整", "完整"),
    // A sign-off whose stated time is further from its entry time than the tolerance.
    ("entered", "entered", "录入于", "錄入於"),
    (
        "entry_flag",
        "ENTERED APART",
        "录入时间不符",
        "錄入時間不符",
    ),
    ("tolerance", "tolerance", "容差", "容差"),
    ("broken", "BROKEN", "已损坏", "已損壞"),
    ("run_open", "open", "进行中", "進行中"),
    ("run_ended", "ended", "已结束", "已結束"),
    ("state_done", "done", "已完成", "已完成"),
    ("state_active", "active", "进行中", "進行中"),
    ("state_waiting", "waiting", "等待中", "等待中"),
    ("state_skipped", "skipped", "已跳过", "已跳過"),
    ("state_not_reached", "not reached", "未到达", "未到達"),
    ("state_timed_out", "timed out", "已超时", "已逾時"),
    ("not_recorded", "not yet recorded", "尚未记录", "尚未記錄"),
    ("escalated_to", "escalated to", "已上报至", "已呈報至"),
    ("since", "since", "自", "自"),
];

/// Every label in the given languages, one string per language.
pub fn labels(langs: &[String]) -> BTreeMap<&'static str, Vec<String>> {
    LABELS
        .iter()
        .map(|&(key, en, hans, hant)| {
            let texts = langs
                .iter()
                .map(|lang| {
                    match Script::of(lang) {
                        Script::English => en,
                        Script::Simplified => hans,
                        Script::Traditional => hant,
                    }
                    .to_string()
                })
                .collect();
            (key, dedup(texts))
        })
        .collect()
}

/// One label in one language.
pub fn label(key: &str, lang: &str) -> String {
    LABELS
        .iter()
        .find(|(k, ..)| *k == key)
        .map(|&(_, en, hans, hant)| match Script::of(lang) {
            Script::English => en,
            Script::Simplified => hans,
            Script::Traditional => hant,
        })
        .unwrap_or(key)
        .to_string()
}

/// Identical strings in consecutive languages are printed once ("A/01", a form number).
pub fn dedup(mut texts: Vec<String>) -> Vec<String> {
    texts.dedup();
    texts
}

/// A duration in words: `2 working days`, `2个工作日`, `2個工作日`.
pub fn duration(d: Duration, lang: &str) -> String {
    let script = Script::of(lang);
    if d == Duration::IMMEDIATELY {
        return match script {
            Script::English => "immediately",
            Script::Simplified | Script::Traditional => "立即",
        }
        .to_string();
    }
    let n = d.amount;
    match script {
        Script::English => d.to_string(),
        Script::Simplified | Script::Traditional => {
            let simplified = script == Script::Simplified;
            let unit = match d.unit {
                Unit::Minutes => "分钟",
                Unit::Hours => {
                    if simplified {
                        "小时"
                    } else {
                        "小時"
                    }
                }
                Unit::Days => "天",
                Unit::Weeks => {
                    if simplified {
                        "周"
                    } else {
                        "週"
                    }
                }
                Unit::Months => {
                    if simplified {
                        "个月"
                    } else {
                        "個月"
                    }
                }
                Unit::Years => "年",
                Unit::WorkingHours => {
                    if simplified {
                        "个工作小时"
                    } else {
                        "個工作小時"
                    }
                }
                Unit::WorkingDays => {
                    if simplified {
                        "个工作日"
                    } else {
                        "個工作日"
                    }
                }
            };
            let unit = if d.unit == Unit::Minutes && !simplified {
                "分鐘"
            } else {
                unit
            };
            format!("{n}{unit}")
        }
    }
}

/// A month named in a spec (`july`, `Jul`) said in `lang`: `July`, `7月`. Anything that is
/// not a month name is printed as written.
pub fn month(name: &str, lang: &str) -> String {
    // The runner's reading of `in:`, so that what prints as a month is the month it plans.
    let found = crate::run::recurrence::month_of(name);
    match (found, Script::of(lang)) {
        (None, _) => name.to_string(),
        (Some(n), Script::English) => crate::run::recurrence::month_name(n),
        (Some(n), _) => format!("{n}月"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_from_language_codes() {
        assert_eq!(Script::of("zh"), Script::Simplified);
        assert_eq!(Script::of("zh-Hans"), Script::Simplified);
        assert_eq!(Script::of("zh-Hant"), Script::Traditional);
        assert_eq!(Script::of("zh-TW"), Script::Traditional);
        assert_eq!(Script::of("en"), Script::English);
        assert_eq!(Script::of("de"), Script::English);
    }

    #[test]
    fn durations_in_three_languages() {
        let d: Duration = "2 working days".parse().unwrap();
        assert_eq!(duration(d, "en"), "2 working days");
        assert_eq!(duration(d, "zh"), "2个工作日");
        assert_eq!(duration(d, "zh-Hant"), "2個工作日");
        assert_eq!(duration(Duration::IMMEDIATELY, "zh"), "立即");
    }

    #[test]
    fn months_and_amounts_in_the_documents_language() {
        assert_eq!(month("july", "zh"), "7月");
        assert_eq!(month("Jul", "zh-Hant"), "7月");
        assert_eq!(month("july", "en"), "July");
        assert_eq!(month("Q3", "zh"), "Q3");
        let years: Duration = "3 years".parse().unwrap();
        assert_eq!(duration(years, "zh"), "3年");
        assert_eq!(duration(years, "zh-Hant"), "3年");
    }

    /// Every fixed word of a Traditional document is in Traditional characters: none of
    /// the Simplified-only characters procdoc's own labels could contain slips through.
    #[test]
    fn traditional_labels_use_no_simplified_characters() {
        const SIMPLIFIED_ONLY: &str = "开内于关时间单这个门边车东务发动员问题处记录审签种类价质图产职责负协项检设计划评执续结务态监网络归档订损从复据传达认证编号页";
        for &(key, _, _, hant) in LABELS {
            for c in hant.chars() {
                assert!(
                    !SIMPLIFIED_ONLY.contains(c),
                    "label `{key}` prints the Simplified `{c}` in Traditional documents: {hant}"
                );
            }
        }
        for unit in [
            "2 working days",
            "8 hours",
            "3 minutes",
            "2 weeks",
            "2 months",
        ] {
            let d: Duration = unit.parse().unwrap();
            let hant = duration(d, "zh-Hant");
            assert!(!hant.chars().any(|c| SIMPLIFIED_ONLY.contains(c)), "{hant}");
        }
    }

    #[test]
    fn labels_follow_the_languages_and_collapse_repeats() {
        let both = labels(&["en".into(), "zh".into()]);
        assert_eq!(both["purpose"], vec!["Purpose", "目的"]);
        let chinese = labels(&["zh".into(), "zh-Hant".into()]);
        assert_eq!(chinese["purpose"], vec!["目的"]);
    }
}
