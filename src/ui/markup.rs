//! HTML written directly, for server-rendered pages that are never hydrated (an app in Leptos'
//! islands mode, outside its islands: see `page::is_inert_render`).
//!
//! A view tree costs an allocation or more per element and attribute (the release build erases
//! their types); the signed-in header's menu alone made a signed-in page about a fifth dearer
//! than a public one. The kit's components that only a signed-in page shows (`<UserButton/>`,
//! `<SignOutButton/>`) write their HTML here instead when nothing will hydrate it. Escaping is
//! html-escape's, as Leptos' own renderer does it; tag and attribute names are constants, so
//! every value that comes from data is escaped.

/// HTML being written: elements, attributes and text, escaped.
pub(crate) struct Markup(String);

impl Markup {
    pub(crate) fn new() -> Self {
        Self(String::with_capacity(1024))
    }

    /// `<tag name="value" …>`.
    pub(crate) fn open(&mut self, tag: &'static str, attributes: &[(&'static str, &str)]) {
        self.0.push('<');
        self.0.push_str(tag);
        for (name, value) in attributes {
            self.0.push(' ');
            self.0.push_str(name);
            self.0.push_str("=\"");
            self.0
                .push_str(&html_escape::encode_double_quoted_attribute(value));
            self.0.push('"');
        }
        self.0.push('>');
    }

    /// `</tag>`.
    pub(crate) fn close(&mut self, tag: &'static str) {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push('>');
    }

    /// Text content.
    pub(crate) fn text(&mut self, text: &str) {
        self.0.push_str(&html_escape::encode_text(text));
    }

    /// `<tag …>text</tag>`.
    pub(crate) fn element(
        &mut self,
        tag: &'static str,
        attributes: &[(&'static str, &str)],
        text: &str,
    ) {
        self.open(tag, attributes);
        self.text(text);
        self.close(tag);
    }

    /// The HTML written.
    pub(crate) fn into_html(self) -> String {
        self.0
    }
}
