//! The chat template a model ships in its GGUF (`tokenizer.chat_template`, Jinja as Hugging Face
//! writes it), rendered with minijinja. Models without one get ChatML, which most small chat
//! models were tuned on.

use minijinja::{Environment, Error, ErrorKind, context};
use serde::Serialize;

/// ChatML, for a GGUF that carries no template.
const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + \
                      message['content'] + '<|im_end|>\n' }}{% endfor %}{% if \
                      add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// A template that does not parse or does not render.
#[derive(Debug, thiserror::Error)]
#[error("chat template: {0}")]
pub struct TemplateError(String);

/// One message as the template sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

/// A parsed chat template.
#[derive(Debug, Clone)]
pub struct ChatTemplate {
    env: Environment<'static>,
    bos_token: String,
}

impl ChatTemplate {
    /// Parses `source` (ChatML when `None`); `bos_token` is the text templates may write first.
    pub fn new(source: Option<&str>, bos_token: &str) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        // Hugging Face renders chat templates with these two on; without them the whitespace
        // around `{% %}` tags ends up in the prompt.
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |message: String| -> Result<String, Error> {
                Err(Error::new(ErrorKind::InvalidOperation, message))
            },
        );
        env.add_template_owned("chat", source.unwrap_or(CHATML).to_owned())
            .map_err(|e| TemplateError(e.to_string()))?;
        Ok(ChatTemplate {
            env,
            bos_token: bos_token.to_owned(),
        })
    }

    /// The prompt for `messages`, ending with the opening of the assistant's turn.
    pub fn render(&self, messages: &[Message]) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template("chat")
            .map_err(|e| TemplateError(e.to_string()))?;
        template
            .render(context! {
                messages => messages,
                add_generation_prompt => true,
                bos_token => self.bos_token,
                eos_token => "",
            })
            .map_err(|e| TemplateError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    /// The template SmolLM2-135M-Instruct ships in its GGUF.
    const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    fn check(source: Option<&str>, messages: &[(&str, &str)], expect: Expect) {
        let messages: Vec<Message> = messages
            .iter()
            .map(|(role, content)| Message {
                role: role.to_string(),
                content: content.to_string(),
            })
            .collect();
        let rendered = ChatTemplate::new(source, "<s>")
            .unwrap()
            .render(&messages)
            .unwrap();
        expect.assert_eq(&rendered);
    }

    #[test]
    fn smollm2_adds_its_default_system_prompt() {
        check(
            Some(SMOLLM2),
            &[("user", "Hi")],
            expect![[r#"
                <|im_start|>system
                You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
                <|im_start|>user
                Hi<|im_end|>
                <|im_start|>assistant
            "#]],
        );
    }

    #[test]
    fn smollm2_keeps_a_given_system_prompt() {
        check(
            Some(SMOLLM2),
            &[("system", "Be brief."), ("user", "Hi")],
            expect![[r#"
                <|im_start|>system
                Be brief.<|im_end|>
                <|im_start|>user
                Hi<|im_end|>
                <|im_start|>assistant
            "#]],
        );
    }

    #[test]
    fn python_string_methods_and_bos_work() {
        check(
            Some("{{ bos_token }}{% for m in messages %}{{ m.content.strip() }}{% endfor %}"),
            &[("user", "  padded  ")],
            expect!["<s>padded"],
        );
    }

    #[test]
    fn no_template_means_chatml() {
        check(
            None,
            &[("user", "x")],
            expect![[r#"
                <|im_start|>user
                x<|im_end|>
                <|im_start|>assistant
            "#]],
        );
    }

    #[test]
    fn raise_exception_is_a_render_error() {
        let t = ChatTemplate::new(Some("{{ raise_exception('no system role') }}"), "").unwrap();
        let err = t.render(&[]).unwrap_err();
        assert!(err.to_string().contains("no system role"), "{err}");
    }
}
