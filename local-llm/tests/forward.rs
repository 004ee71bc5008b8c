//! Our llama forward pass against what shipped before it on the real SmolLM2 GGUF: candle-
//! transformers' `quantized_llama` over the file re-quantized to Q8_0 as a whole. With the
//! quantized kernels (short prompts, decode) the logits must be bit-identical, so the greedy
//! tokens are too; the f32 prefill of longer pieces must stay close; and a prompt run in one
//! piece must match the same prompt fed token by token (the causal mask, the query blocks, the
//! cache growing past its first step).

use std::io::Cursor;

use candle_core::quantized::gguf_file::{self, Content};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;
use local_llm::Model;
use local_llm::llama::{F32_FROM, Llama};

fn model_bytes() -> Vec<u8> {
    let path = std::env::var_os("PILOTFISH_LOCAL_MODEL").unwrap_or_else(|| {
        panic!(
            "PILOTFISH_LOCAL_MODEL is not set: these tests need the SmolLM2 GGUF. Run `cargo \
             xtask setup` and set PILOTFISH_LOCAL_MODEL=.cache/models/smollm2/\
             SmolLM2-135M-Instruct.Q4_1.gguf, or run `cargo xtask test`, which does both"
        )
    });
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.to_string_lossy()))
}

fn argmax(logits: &Tensor) -> u32 {
    logits
        .squeeze(0)
        .unwrap()
        .argmax(0)
        .unwrap()
        .to_scalar()
        .unwrap()
}

/// `steps` greedy tokens after `prompt`, the prompt run in one piece.
fn greedy_ours(model: &Model, prompt: &[u32], steps: usize) -> Vec<u32> {
    let mut llama: Llama = model.weights.clone();
    let mut next = argmax(&llama.forward_tokens(prompt).unwrap());
    let mut out = vec![next];
    while out.len() < steps {
        next = argmax(&llama.forward_tokens(&[next]).unwrap());
        out.push(next);
    }
    out
}

/// The model as loaded before our forward pass: every Q4_1 tensor re-quantized to Q8_0 through a
/// rewritten GGUF, run by candle-transformers' quantized llama.
fn reference(bytes: &[u8]) -> ModelWeights {
    let mut reader = Cursor::new(bytes);
    let content = Content::read(&mut reader).unwrap();
    let mut tensors = Vec::new();
    for name in content.tensor_infos.keys() {
        let tensor = content.tensor(&mut reader, name, &Device::Cpu).unwrap();
        let tensor = if tensor.dtype() == GgmlDType::Q4_1 {
            QTensor::quantize(&tensor.dequantize(&Device::Cpu).unwrap(), GgmlDType::Q8_0).unwrap()
        } else {
            tensor
        };
        tensors.push((name.as_str(), tensor));
    }
    let metadata: Vec<_> = content
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let tensors: Vec<_> = tensors.iter().map(|(n, t)| (*n, t)).collect();
    let mut file = Cursor::new(Vec::new());
    gguf_file::write(&mut file, &metadata, &tensors).unwrap();
    file.set_position(0);
    let content = Content::read(&mut file).unwrap();
    ModelWeights::from_gguf(content, &mut file, &Device::Cpu).unwrap()
}

/// The reference's logits after the prompt, and its greedy tokens from there.
fn greedy_reference(bytes: &[u8], prompt: &[u32], steps: usize) -> (Tensor, Vec<u32>) {
    let mut weights = reference(bytes);
    let input = Tensor::new(prompt, &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let logits = weights.forward(&input, 0).unwrap();
    let mut next = argmax(&logits);
    let mut out = vec![next];
    while out.len() < steps {
        let input = Tensor::new(&[next], &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        next = argmax(
            &weights
                .forward(&input, prompt.len() + out.len() - 1)
                .unwrap(),
        );
        out.push(next);
    }
    (logits, out)
}

/// Largest absolute difference, and the largest absolute value of `b`.
fn difference(a: &Tensor, b: &Tensor) -> (f32, f32) {
    let max = |t: Tensor| -> f32 { t.abs().unwrap().max_all().unwrap().to_scalar().unwrap() };
    (max((a - b).unwrap()), max(b.clone()))
}

#[test]
fn converted_weights_give_the_greedy_tokens_shipped_before() {
    let bytes = model_bytes();
    // Loading from a reader over bytes, as the browser build does.
    let model = Model::load(&mut Cursor::new(&bytes)).unwrap();
    let short = model.tokenizer.encode("def add(a, b):").unwrap();
    assert!(short.len() < F32_FROM);
    let (reference_logits, reference_tokens) = greedy_reference(&bytes, &short, 12);
    let mut llama: Llama = model.weights.clone();
    let logits = llama.forward_tokens(&short).unwrap();
    assert_eq!(difference(&logits, &reference_logits).0, 0.0);
    assert_eq!(greedy_ours(&model, &short, 12), reference_tokens);

    // A piece long enough for f32 weights: the activations are no longer rounded to 8 bits, so
    // the logits move a little (about 2% of their range here), the best token not.
    let long = model
        .tokenizer
        .encode(
            "The quick brown fox jumps over the lazy dog while the compiler checks every \
             borrow. Then the fox writes a function that adds two numbers in Python:\n\ndef",
        )
        .unwrap();
    assert!(long.len() >= F32_FROM);
    let (reference_logits, reference_tokens) = greedy_reference(&bytes, &long, 1);
    let mut llama: Llama = model.weights.clone();
    let logits = llama.forward_tokens(&long).unwrap();
    assert_eq!(argmax(&logits), reference_tokens[0]);
    let (diff, scale) = difference(&logits, &reference_logits);
    assert!(
        diff < 0.1 * scale,
        "max difference {diff} against logits up to {scale}"
    );
}

#[test]
fn a_prompt_in_one_piece_matches_it_token_by_token() {
    let model = Model::load(&mut Cursor::new(model_bytes())).unwrap();
    let text = "fn main() { println!(\"{}\", 1 + 2); } ".repeat(40);
    let prompt = model.tokenizer.encode(&text).unwrap();
    // Past the cache's first 512-token step and over several 256-query blocks.
    assert!(prompt.len() > 520, "{}", prompt.len());
    let mut whole: Llama = model.weights.clone();
    let at_once = whole.forward_tokens(&prompt).unwrap();
    let mut stepped: Llama = model.weights.clone();
    let mut one_by_one = None;
    for &token in &prompt {
        one_by_one = Some(stepped.forward_tokens(&[token]).unwrap());
    }
    let one_by_one = one_by_one.unwrap();
    assert_eq!(argmax(&at_once), argmax(&one_by_one));
    let (diff, scale) = difference(&at_once, &one_by_one);
    // f32 weights against 8-bit activations in the quantized kernel: close, not equal (5% of the
    // range measured here).
    assert!(
        diff < 0.1 * scale,
        "max difference {diff} against logits up to {scale}"
    );
}
