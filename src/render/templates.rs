//! The minijinja environment that turns a spec into typst source.
//!
//! Templates are typst markup with Jinja tags. Spec values are untrusted text as far as
//! typst is concerned, so every `{{ value }}` in a `.typ.j2` template is escaped by
//! [`markup::escape`] unless the template explicitly opts out with `|md`, `|str` or
//! `|safe`. The escaping is wired into minijinja's auto-escape machinery rather than
//! left to template authors, because one forgotten filter would be an injection.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State, UndefinedBehavior};

use sha2::{Digest, Sha256};

use super::markup;

/// Name of the custom auto-escape mode, checked by the formatter.
const TYPST_ESCAPE: &str = "typst";

/// Built-in templates, compiled into the binary so procdoc works without any files
/// next to it. A company may replace any of them through the override folder.
const DEFAULT_TEMPLATES: [(&str, &str); 6] = [
    (
        "common.typ.j2",
        include_str!("../../templates/common.typ.j2"),
    ),
    (
        "document.typ.j2",
        include_str!("../../templates/document.typ.j2"),
    ),
    ("form.typ.j2", include_str!("../../templates/form.typ.j2")),
    (
        "traveller.typ.j2",
        include_str!("../../templates/traveller.typ.j2"),
    ),
    (
        "master-list.typ.j2",
        include_str!("../../templates/master-list.typ.j2"),
    ),
    (
        "run-record.typ.j2",
        include_str!("../../templates/run-record.typ.j2"),
    ),
];

/// The parsed templates, built once and shared by every render of a build.
pub struct Templates {
    env: Environment<'static>,
    fingerprint: String,
}

/// A template could not be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The override folder given on the command line is missing or unreadable.
    #[error("template folder {}: {source}", path.display())]
    OverrideDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file in the override folder exists but cannot be read.
    #[error("template {}: {source}", path.display())]
    ReadOverride {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A template failed to parse or render.
    ///
    /// `template` and `line` point at the innermost template involved, so a typo inside
    /// an included `common.typ.j2` names that file and not the document that included
    /// it. `detail` is minijinja's full report: the source excerpt with the failing line
    /// marked, the referenced variables, and the include chain.
    #[error("{template}:{}: {message}\n{detail}", line.map_or_else(|| "?".to_string(), |l| l.to_string()))]
    Template {
        template: String,
        line: Option<usize>,
        message: String,
        detail: String,
    },
}

impl TemplateError {
    fn from_minijinja(err: &Error, fallback_name: &str) -> Self {
        // Errors from includes and macros are chained; the deepest one that knows its
        // template is the one the author has to fix.
        let mut located = err;
        let mut detail = format!("{err:#}");
        let mut current: &dyn std::error::Error = err;
        while let Some(next) = current.source() {
            detail.push_str(&format!("\n\ncaused by: {next:#}"));
            if let Some(inner) = next.downcast_ref::<Error>()
                && inner.name().is_some()
            {
                located = inner;
            }
            current = next;
        }
        let message = match located.detail() {
            Some(d) => format!("{}: {d}", located.kind()),
            None => located.kind().to_string(),
        };
        TemplateError::Template {
            template: located.name().unwrap_or(fallback_name).to_string(),
            line: located.line(),
            message,
            detail,
        }
    }
}

impl Templates {
    /// Load the built-in templates, each replaced by a file of the same name in
    /// `override_dir` if there is one (a company's own copies). Other files in that
    /// folder are ignored: only the known names are ever rendered.
    pub fn new(override_dir: Option<&Path>) -> Result<Self, TemplateError> {
        let mut sources: Vec<(&'static str, Cow<'static, str>)> = Vec::new();
        if let Some(dir) = override_dir {
            // A mistyped folder would otherwise silently fall back to the defaults.
            let meta = std::fs::metadata(dir).map_err(|source| TemplateError::OverrideDir {
                path: dir.to_path_buf(),
                source,
            })?;
            if !meta.is_dir() {
                return Err(TemplateError::OverrideDir {
                    path: dir.to_path_buf(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotADirectory,
                        "not a directory",
                    ),
                });
            }
        }
        for (name, default) in DEFAULT_TEMPLATES {
            let source = match override_dir {
                Some(dir) => {
                    read_override(&dir.join(name))?.map_or(Cow::Borrowed(default), Cow::Owned)
                }
                None => Cow::Borrowed(default),
            };
            sources.push((name, source));
        }
        Self::from_sources(sources)
    }

    fn from_sources(
        sources: impl IntoIterator<Item = (&'static str, Cow<'static, str>)>,
    ) -> Result<Self, TemplateError> {
        let sources: Vec<(&'static str, Cow<'static, str>)> = sources.into_iter().collect();
        let mut hasher = Sha256::new();
        for (name, source) in &sources {
            hasher.update(name.as_bytes());
            hasher.update([0]);
            hasher.update(source.as_bytes());
            hasher.update([0]);
        }
        let fingerprint = hex::encode(hasher.finalize());
        let mut env = Environment::new();
        // Whitespace stays at Jinja's defaults (no trim_blocks/lstrip_blocks): typst is
        // whitespace-sensitive and the templates control it explicitly with `{%-`/`-%}`.
        // A typo in a template must fail the build, not print an empty field into a
        // controlled document.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Release builds default to no debug info; the source excerpt is what makes a
        // template error fixable, and it is only paid for when an error happens.
        env.set_debug(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".typ.j2") || name.ends_with(".typ") {
                AutoEscape::Custom(Cow::Borrowed(TYPST_ESCAPE))
            } else {
                minijinja::default_auto_escape_callback(name)
            }
        });
        env.set_formatter(format_value);
        env.add_filter("md", md_filter);
        env.add_filter("str", str_filter);
        env.add_filter("filesize", crate::run::attachments::show_size);
        for (name, source) in sources {
            env.add_template_owned(name, source)
                .map_err(|e| TemplateError::from_minijinja(&e, name))?;
        }
        Ok(Templates { env, fingerprint })
    }

    /// Render template `name` with `ctx` as its context.
    /// A hash of every template's source, so a build can tell that none changed.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn render(&self, name: &str, ctx: &impl serde::Serialize) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| TemplateError::from_minijinja(&e, name))?;
        template
            .render(Value::from(Serde(ctx)))
            .map_err(|e| TemplateError::from_minijinja(&e, name))
    }
}

/// `Ok(None)` when the override folder has no file of that name.
fn read_override(path: &Path) -> Result<Option<String>, TemplateError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(TemplateError::ReadOverride {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Print a value into a template.
///
/// Optional spec fields arrive as `none`; printing "none" into a procedure would be
/// wrong, so they print as nothing. Strict mode has already rejected plain undefined
/// values before this runs; what reaches here is the silent undefined of
/// `{{ x if cond }}`.
fn format_value(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    if value.is_none() || value.is_undefined() {
        return Ok(());
    }
    let typst = matches!(state.auto_escape(), AutoEscape::Custom(name) if name == TYPST_ESCAPE);
    if typst && !value.is_safe() {
        let escaped = markup::escape(&value_text(value));
        return out.write_str(&escaped).map_err(Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}

fn value_text(value: &Value) -> Cow<'_, str> {
    match value.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(value.to_string()),
    }
}

/// Text a filter works on. Filters take `&Value` so they see `none`, which means "no
/// text"; an undefined input is a template typo and is rejected here because strict
/// mode does not check values handed to filters that accept any value.
fn filter_input(value: &Value) -> Result<Cow<'_, str>, Error> {
    if value.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "filter applied to an undefined value",
        ));
    }
    if value.is_none() {
        return Ok(Cow::Borrowed(""));
    }
    Ok(value_text(value))
}

/// `{{ text|md }}`: the Markdown subset of long texts, rendered to typst markup.
///
/// The input is always read as spec text, even if something marked it safe, so chaining
/// filters can never smuggle raw markup past the escaping.
fn md_filter(value: &Value) -> Result<Value, Error> {
    Ok(Value::from_safe_string(markup::markdown(&filter_input(
        value,
    )?)))
}

/// `"{{ text|str }}"`: a value inside a typst string literal in code mode.
fn str_filter(value: &Value) -> Result<Value, Error> {
    Ok(Value::from_safe_string(markup::escape_str(&filter_input(
        value,
    )?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::HashMap;

    fn with(templates: &[(&'static str, &'static str)]) -> Templates {
        let sources = templates
            .iter()
            .map(|(name, source)| (*name, Cow::Borrowed(*source)));
        match Templates::from_sources(sources) {
            Ok(t) => t,
            Err(e) => panic!("templates failed to load: {e}"),
        }
    }

    fn render(t: &Templates, name: &str, ctx: &impl Serialize) -> String {
        match t.render(name, ctx) {
            Ok(s) => s,
            Err(e) => panic!("render failed: {e}"),
        }
    }

    /// A scratch folder unique to one test, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let path = std::env::temp_dir()
                .join(format!("procdoc-templates-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("create temp dir");
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[derive(Serialize)]
    struct Spec {
        title: String,
        owner: Option<String>,
        body: String,
        steps: Vec<String>,
    }

    fn hostile() -> Spec {
        Spec {
            title: "#read(\"/etc/passwd\") $x$ <l> @r ] // /* \\ = H".into(),
            owner: None,
            body: "**Note** #set\n\n- a\n- *b*".into(),
            steps: vec!["- item".into(), "1. x".into(), "= Heading".into()],
        }
    }

    #[test]
    fn defaults_load_and_are_shareable() {
        fn assert_shareable<T: Send + Sync>() {}
        assert_shareable::<Templates>();
        if let Err(e) = Templates::new(None) {
            panic!("built-in templates must parse: {e}");
        }
    }

    #[test]
    fn values_are_escaped_automatically() {
        let t = with(&[(
            "t.typ.j2",
            "= {{ title }}\n{% for s in steps -%}\n- {{ s }}\n{% endfor -%}\nowner: {{ owner }}",
        )]);
        let out = render(&t, "t.typ.j2", &hostile());
        assert_eq!(
            out,
            "= \\##box();read(\"\\/#box();etc\\/#box();passwd\") \\$x\\$ \\<l\\> \\@r \\] \\/\\/ \\/\\* \\\\ \\= H\n\
             - \\- item\n- 1\\. x\n- \\= Heading\nowner: "
        );
        assert!(
            !out.replace("\\#", "")
                .replace(markup::TOKEN_BREAK, "")
                .contains('#')
        );
    }

    #[test]
    fn typ_extension_escapes_and_others_do_not() {
        let t = with(&[("a.typ", "{{ v }}"), ("b.txt", "{{ v }}")]);
        let ctx = HashMap::from([("v", "#x")]);
        assert_eq!(render(&t, "a.typ", &ctx), "\\#x");
        assert_eq!(render(&t, "b.txt", &ctx), "#x");
    }

    #[test]
    fn expressions_and_numbers_are_escaped_too() {
        let t = with(&[(
            "t.typ.j2",
            "{{ a ~ b }}|{{ n }}|{{ xs }}|{{ '#lit' }}|{{ a|e }}|{{ a|upper }}",
        )]);
        #[derive(Serialize)]
        struct C {
            a: &'static str,
            b: &'static str,
            n: i64,
            xs: Vec<&'static str>,
        }
        let out = render(
            &t,
            "t.typ.j2",
            &C {
                a: "#a",
                b: "$b",
                n: -5,
                xs: vec!["*"],
            },
        );
        assert_eq!(out, "\\#a\\$b|\\-5|\\['\\*'\\]|\\#lit|\\#a|\\#A");
    }

    #[test]
    fn md_filter_renders_markdown_and_escapes_text() {
        let t = with(&[("t.typ.j2", "{{ body|md }}")]);
        let out = render(&t, "t.typ.j2", &hostile());
        assert_eq!(out, "#strong[Note] \\#set\n\n- a\n- #emph[b]");
    }

    #[test]
    fn str_filter_escapes_for_string_literals() {
        let t = with(&[("t.typ.j2", "#set document(title: \"{{ title|str }}\")")]);
        let ctx = HashMap::from([("title", "say \"hi\" \\ #x")]);
        assert_eq!(
            render(&t, "t.typ.j2", &ctx),
            "#set document(title: \"say \\\"hi\\\" \\\\ #x\")"
        );
    }

    #[test]
    fn safe_and_none_behave() {
        let t = with(&[(
            "t.typ.j2",
            "[{{ raw|safe }}][{{ owner }}][{{ owner|md }}][{{ owner|str }}][{{ owner if false }}]",
        )]);
        #[derive(Serialize)]
        struct C {
            raw: &'static str,
            owner: Option<String>,
        }
        let out = render(
            &t,
            "t.typ.j2",
            &C {
                raw: "#strong[ok]",
                owner: None,
            },
        );
        assert_eq!(out, "[#strong[ok]][][][][]");
    }

    #[test]
    fn undefined_variable_names_template_and_line() {
        let t = with(&[(
            "doc.typ.j2",
            "line one\nline two\n{{ spec.titel }}\nline four",
        )]);
        let ctx = HashMap::from([("spec", HashMap::from([("title", "x")]))]);
        match t.render("doc.typ.j2", &ctx) {
            Err(TemplateError::Template {
                template,
                line,
                message,
                detail,
            }) => {
                assert_eq!(template, "doc.typ.j2");
                assert_eq!(line, Some(3));
                assert!(message.contains("undefined"), "{message}");
                // The excerpt shows the offending source line.
                assert!(detail.contains("{{ spec.titel }}"), "{detail}");
            }
            other => panic!("expected a template error, got {other:?}"),
        }
    }

    #[test]
    fn undefined_through_filter_is_an_error() {
        let t = with(&[("t.typ.j2", "ok\n{{ typo|md }}")]);
        let ctx = HashMap::from([("body", "x")]);
        match t.render("t.typ.j2", &ctx) {
            Err(TemplateError::Template { template, line, .. }) => {
                assert_eq!((template.as_str(), line), ("t.typ.j2", Some(2)));
            }
            other => panic!("expected a template error, got {other:?}"),
        }
    }

    #[test]
    fn error_in_included_template_names_the_included_file() {
        let t = with(&[
            ("common.typ.j2", "a\nb\n{{ nope }}"),
            ("doc.typ.j2", "{% include \"common.typ.j2\" %}"),
        ]);
        let err = t.render("doc.typ.j2", &()).err();
        match err {
            Some(TemplateError::Template { template, line, .. }) => {
                assert_eq!((template.as_str(), line), ("common.typ.j2", Some(3)));
            }
            other => panic!("expected a template error, got {other:?}"),
        }
    }

    #[test]
    fn syntax_error_in_override_is_reported_with_line() {
        let dir = TempDir::new("syntax");
        std::fs::write(dir.0.join("form.typ.j2"), "ok\n{% if %}\n").expect("write");
        match Templates::new(Some(&dir.0)) {
            Err(TemplateError::Template { template, line, .. }) => {
                assert_eq!((template.as_str(), line), ("form.typ.j2", Some(2)));
            }
            Err(other) => panic!("wrong error: {other}"),
            Ok(_) => panic!("syntax error accepted"),
        }
    }

    #[test]
    fn unknown_template_is_an_error() {
        let t = with(&[]);
        match t.render("missing.typ.j2", &()) {
            Err(TemplateError::Template { template, .. }) => {
                assert_eq!(template, "missing.typ.j2");
            }
            other => panic!("expected a template error, got {other:?}"),
        }
    }

    #[test]
    fn override_dir_replaces_known_templates_only() {
        let dir = TempDir::new("override");
        std::fs::write(dir.0.join("document.typ.j2"), "ACME {{ title }}").expect("write");
        std::fs::write(dir.0.join("extra.typ.j2"), "ignored").expect("write");
        let t = match Templates::new(Some(&dir.0)) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let ctx = HashMap::from([("title", "#1")]);
        assert_eq!(render(&t, "document.typ.j2", &ctx), "ACME \\#1");
        // Overridden files are escaped like the built-in ones.
        let form = t
            .env
            .get_template("form.typ.j2")
            .map(|tpl| tpl.source().to_string());
        assert_eq!(
            form.ok().as_deref(),
            Some(include_str!("../../templates/form.typ.j2"))
        );
        assert!(t.env.get_template("extra.typ.j2").is_err());
    }

    #[test]
    fn missing_override_dir_is_an_error() {
        let dir = TempDir::new("missing");
        let missing = dir.0.join("nope");
        assert!(matches!(
            Templates::new(Some(&missing)),
            Err(TemplateError::OverrideDir { .. })
        ));
        let file = dir.0.join("file");
        std::fs::write(&file, "").expect("write");
        assert!(matches!(
            Templates::new(Some(&file)),
            Err(TemplateError::OverrideDir { .. })
        ));
    }

    #[test]
    fn rendering_is_deterministic() {
        let source = "{% for k, v in map|items %}{{ k }}={{ v }};{% endfor %}";
        // HashMap iteration order differs per instance; the output must not.
        let outputs: Vec<String> = (0..5)
            .map(|_| {
                let t = with(&[("t.typ.j2", source)]);
                let map: HashMap<String, usize> = (0..50).map(|i| (format!("k{i}"), i)).collect();
                let ctx = HashMap::from([("map", map)]);
                let first = render(&t, "t.typ.j2", &ctx);
                assert_eq!(first, render(&t, "t.typ.j2", &ctx));
                first
            })
            .collect();
        assert!(outputs.windows(2).all(|w| w[0] == w[1]));
        assert!(outputs[0].starts_with("k0=0;k1=1;k10=10;"));
    }

    #[test]
    fn one_environment_serves_threads() {
        let t = with(&[("t.typ.j2", "{{ v }}")]);
        std::thread::scope(|s| {
            for i in 0..4 {
                let t = &t;
                s.spawn(move || {
                    let ctx = HashMap::from([("v", format!("#{i}"))]);
                    assert_eq!(render(t, "t.typ.j2", &ctx), format!("\\#{i}"));
                });
            }
        });
    }

    #[test]
    fn error_display_has_location_and_excerpt() {
        let t = with(&[("doc.typ.j2", "a\n{{ missing }}")]);
        let Err(err) = t.render("doc.typ.j2", &()) else {
            panic!("expected error");
        };
        let shown = err.to_string();
        assert!(
            shown.starts_with("doc.typ.j2:2: undefined value"),
            "{shown}"
        );
        assert!(shown.contains("{{ missing }}"), "{shown}");
    }
}
