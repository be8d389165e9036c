//! The JSON-array framer against serde_json: on an array input, the framer accepts exactly
//! when serde_json accepts the whole document or some element on its own is not JSON (the
//! framer leaves UTF-8, surrogates and the like to the record stage), and where both accept,
//! they find the same elements at the same byte ranges. The input is fed in windows of
//! every size the first byte picks, so state carried between windows is exercised too, and
//! checked by `frame::check` in pieces of the size the first byte picks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;
use user_import::internals::frame::{Format, Framer, Span};

fn frame(data: &[u8], window: usize) -> Result<(Option<Format>, Vec<Span>), u64> {
    let mut framer = Framer::new();
    let mut spans = Vec::new();
    let mut base = 0u64;
    for w in data.chunks(window.max(1)) {
        framer
            .feed(w, base, &mut spans)
            .map_err(|e| e.position.byte)?;
        base += w.len() as u64;
    }
    framer
        .finish(base, &mut spans)
        .map_err(|e| e.position.byte)?;
    Ok((framer.format(), spans))
}

fn serde_parses(bytes: &[u8]) -> bool {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    serde::de::Deserialize::deserialize(&mut de)
        .map(|_: serde_json::Value| ())
        .and_then(|()| de.end())
        .is_ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&w, data)) = data.split_first() else {
        return;
    };
    // Deep nesting would only test serde_json's stack; the framer's depth is unbounded.
    if data.iter().filter(|&&b| b == b'[' || b == b'{').count() > 200 {
        return;
    }
    let whole = frame(data, data.len().max(1));
    let windowed = frame(data, usize::from(w % 17) + 1);
    assert_eq!(whole, windowed, "window size changed the framing");
    // The parallel check of a mapped file, in pieces as small as the first byte picks (a
    // guessed boundary inside a string or a nested array must be caught): the same outcome.
    let checked = user_import::internals::frame::check(data, usize::from(w >> 4) + 1);
    assert_eq!(
        checked.map(|_| ()).map_err(|e| e.position.byte),
        whole.as_ref().map(|_| ()).map_err(|&b| b),
        "the parallel check disagrees with the framer"
    );

    // Only arrays: the first significant byte is '[' (serde_json knows no BOM).
    let first = data
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    if first != Some(&b'[') {
        return;
    }
    let serde: Result<Vec<&RawValue>, _> = {
        let mut de = serde_json::Deserializer::from_slice(data);
        de.disable_recursion_limit();
        serde::de::Deserialize::deserialize(&mut de).and_then(|v| de.end().map(|()| v))
    };
    match (&whole, serde) {
        (Ok((format, spans)), Ok(elems)) => {
            assert_eq!(*format, Some(Format::Array));
            assert_eq!(spans.len(), elems.len(), "element count");
            let base = data.as_ptr() as usize;
            for (i, (s, e)) in spans.iter().zip(&elems).enumerate() {
                let start = e.get().as_ptr() as usize - base;
                assert_eq!(s.index, i as u64);
                assert_eq!(
                    (s.start as usize, s.end as usize),
                    (start, start + e.get().len())
                );
            }
        }
        (Ok((_, spans)), Err(_)) => {
            // serde_json also checks what lies inside strings; then one element must be bad.
            let bad = spans
                .iter()
                .any(|s| !serde_parses(&data[s.start as usize..s.end as usize]));
            assert!(
                bad,
                "the framer accepted an array serde_json rejects, with every element valid"
            );
        }
        (Err(at), Ok(_)) => panic!("the framer rejected a valid array at byte {at}"),
        (Err(at), Err(_)) => assert!(*at <= data.len() as u64, "error position past the end"),
    }
});
