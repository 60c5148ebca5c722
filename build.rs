//! Compiles the Slint UI (`ui/app.slint` and everything it imports) into Rust at build time.

fn main() {
    // Debug info keeps element ids in the generated code: the UI tests find elements by id
    // through Slint's testing backend. It costs a few strings, no rendering work.
    // Translations are bundled into the binary (no gettext at run time): French is the source
    // language of the .slint files, `translations/en/LC_MESSAGES/comptoir.po` gives English.
    let config = slint_build::CompilerConfiguration::new()
        .with_debug_info(true)
        .with_bundled_translations("translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    slint_build::compile_with_config("ui/app.slint", config)
        .expect("the Slint UI in ui/ must compile");
}
