//! Packaging a game on the server: the game data goes into the runtime module as a
//! custom section, and the module into an embed page or one offline HTML file.

use core::fmt;

use crate::format::{self, GameData};

/// The custom section the loader reads with `WebAssembly.Module.customSections`.
pub const SECTION_NAME: &str = "petpixel.game";
/// The page-side loader (`web/loader.js`); serve it next to the wasm-bindgen glue.
pub const LOADER_JS: &str = include_str!("../web/loader.js");

const WASM_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00];
const CUSTOM_SECTION: u8 = 0;

/// Why a module could not be assembled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssembleError {
    /// The input does not start with the wasm magic and version 1.
    NotWasm,
    /// A section header runs past the end of the module.
    Malformed,
}

impl fmt::Display for AssembleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AssembleError::NotWasm => "the runtime is not a wasm module",
            AssembleError::Malformed => "the runtime wasm module is malformed",
        })
    }
}

impl std::error::Error for AssembleError {}

/// One section of a module: its id and where its contents lie.
struct Section {
    id: u8,
    /// The whole section, header included.
    whole: core::ops::Range<usize>,
    contents: core::ops::Range<usize>,
}

fn sections(wasm: &[u8]) -> Result<Vec<Section>, AssembleError> {
    if !wasm.starts_with(&WASM_HEADER) {
        return Err(AssembleError::NotWasm);
    }
    let mut found = Vec::new();
    let mut at = WASM_HEADER.len();
    while at < wasm.len() {
        let id = wasm[at];
        let (size, size_len) = read_leb128(&wasm[at + 1..]).ok_or(AssembleError::Malformed)?;
        let start = at + 1 + size_len;
        let end = start
            .checked_add(size)
            .filter(|&end| end <= wasm.len())
            .ok_or(AssembleError::Malformed)?;
        found.push(Section {
            id,
            whole: at..end,
            contents: start..end,
        });
        at = end;
    }
    Ok(found)
}

/// A custom section's name and payload.
fn custom_parts(contents: &[u8]) -> Option<(&[u8], &[u8])> {
    let (name_len, len_len) = read_leb128(contents)?;
    let rest = contents.get(len_len..)?;
    rest.split_at_checked(name_len)
}

/// The runtime with `data` in the `petpixel.game` custom section, replacing any
/// such section already there so the loader never reads a stale one.
pub fn inject(runtime_wasm: &[u8], data: &GameData) -> Result<Vec<u8>, AssembleError> {
    let payload = format::encode(data);
    let mut out = Vec::with_capacity(runtime_wasm.len() + payload.len() + 32);
    out.extend_from_slice(&WASM_HEADER);
    for section in sections(runtime_wasm)? {
        let ours = section.id == CUSTOM_SECTION
            && custom_parts(&runtime_wasm[section.contents.clone()])
                .is_some_and(|(name, _)| name == SECTION_NAME.as_bytes());
        if !ours {
            out.extend_from_slice(&runtime_wasm[section.whole]);
        }
    }
    let mut contents = Vec::with_capacity(payload.len() + SECTION_NAME.len() + 5);
    write_leb128(&mut contents, SECTION_NAME.len());
    contents.extend_from_slice(SECTION_NAME.as_bytes());
    contents.extend_from_slice(&payload);
    out.push(CUSTOM_SECTION);
    write_leb128(&mut out, contents.len());
    out.extend_from_slice(&contents);
    Ok(out)
}

/// The payload of the first `petpixel.game` section, if the module has one.
pub fn read_section(wasm: &[u8]) -> Option<&[u8]> {
    sections(wasm).ok()?.into_iter().find_map(|section| {
        if section.id != CUSTOM_SECTION {
            return None;
        }
        let (name, payload) = custom_parts(&wasm[section.contents])?;
        (name == SECTION_NAME.as_bytes()).then_some(payload)
    })
}

/// An unsigned LEB128 number and how many bytes it took; `None` when truncated or
/// wider than 32 bits, the most wasm allows.
fn read_leb128(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        value |= usize::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn write_leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7F) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Where the page gets the game from.
#[derive(Clone, Copy, Debug)]
pub enum GameSource<'a> {
    /// The `/embed/{code}` page: glue, loader and assembled module fetched by URL.
    Url {
        glue_url: &'a str,
        loader_url: &'a str,
        module_url: &'a str,
        /// Where the loader reports the first start of play (a POST), if anywhere.
        plays_url: Option<&'a str>,
        /// Where the loader sends what it saw (a view, a finished run), in batches.
        events_url: Option<&'a str>,
        /// The game's leaderboard (`GET` the board, `POST` a finished run), if it has one.
        leaderboard_url: Option<&'a str>,
        /// Where a player reports the game to the moderators (opened in a new tab).
        report_url: Option<&'a str>,
    },
    /// One self-contained file that plays offline: glue and loader inlined in one
    /// module script, the assembled module inlined as base64.
    Inline {
        glue_js: &'a str,
        loader_js: &'a str,
        module: &'a [u8],
    },
}

#[derive(Clone, Copy, Debug)]
pub struct PageOptions<'a> {
    pub title: &'a str,
    pub source: GameSource<'a>,
}

/// The game page: a full-window canvas, scaled crisply by the loader.
pub fn html_page(options: &PageOptions<'_>) -> String {
    let report = match options.source {
        GameSource::Url {
            report_url: Some(url),
            ..
        } => format!(
            "<a id=\"pp-report\" href=\"{}\" target=\"_blank\" rel=\"noopener\">Report</a>\n",
            html_escape(url)
        ),
        _ => String::new(),
    };
    let script = match options.source {
        GameSource::Url {
            glue_url,
            loader_url,
            module_url,
            plays_url,
            events_url,
            leaderboard_url,
            ..
        } => format!(
            "import * as wbg from {};\nimport {{ start }} from {};\nstart(wbg, {{ url: {}, plays: {}, events: {}, leaderboard: {} }}, document.getElementById('pp-canvas'));\n",
            js_string(glue_url),
            js_string(loader_url),
            js_string(module_url),
            plays_url.map_or_else(|| "null".to_owned(), js_string),
            events_url.map_or_else(|| "null".to_owned(), js_string),
            leaderboard_url.map_or_else(|| "null".to_owned(), js_string),
        ),
        GameSource::Inline {
            glue_js,
            loader_js,
            module,
        } => {
            let mut script =
                String::with_capacity(glue_js.len() + loader_js.len() + module.len() * 4 / 3 + 512);
            script.push_str(&script_safe(glue_js));
            script.push('\n');
            script.push_str(&script_safe(loader_js));
            // `__wbg_init` is the name wasm-bindgen's `--target web` glue gives its
            // default export; the crate pins wasm-bindgen exactly.
            script.push_str("\nconst ppModuleBase64 = \"");
            base64_into(module, &mut script);
            script.push_str(
                "\";\nconst ppModuleText = atob(ppModuleBase64);\nconst ppModuleBytes = new Uint8Array(ppModuleText.length);\nfor (let i = 0; i < ppModuleText.length; i++) ppModuleBytes[i] = ppModuleText.charCodeAt(i);\nstart({ default: __wbg_init, Game }, { bytes: ppModuleBytes }, document.getElementById('pp-canvas'));\n",
            );
            script
        }
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\nhtml, body {{ margin: 0; height: 100%; background: #111; overflow: hidden; }}\nbody {{ display: flex; align-items: center; justify-content: center; }}\ncanvas {{ display: block; image-rendering: crisp-edges; image-rendering: pixelated; }}\n#pp-report {{ position: fixed; left: 8px; top: 8px; z-index: 2; font: 12px sans-serif; color: #fffa; }}\n</style>\n</head>\n<body>\n<canvas id=\"pp-canvas\" width=\"400\" height=\"224\" tabindex=\"0\"></canvas>\n{}<script type=\"module\">\n{}</script>\n</body>\n</html>\n",
        html_escape(options.title),
        report,
        script,
    )
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A double-quoted JavaScript string literal that is also safe inside a script
/// element (no `</script>`, no `<!--`).
fn js_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\u003c"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if c < ' ' => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(c as u8 >> 4)]));
                out.push(char::from(HEX[usize::from(c as u8 & 0xF)]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// JavaScript source made safe to inline in a script element: `</script` and `<!--`
/// can only appear inside strings, regexes or comments, where `<\/` and `<\!` mean the
/// same characters.
fn script_safe(js: &str) -> String {
    js.replace("</script", "<\\/script")
        .replace("</SCRIPT", "<\\/SCRIPT")
        .replace("<!--", "<\\!--")
}

/// Standard base64 with padding.
fn base64_into(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 0x3F) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{GameSpec, Sprite};
    use crate::theme::{Difficulty, Theme};

    /// The smallest valid module plus one unrelated custom section.
    fn runtime() -> Vec<u8> {
        let mut wasm = WASM_HEADER.to_vec();
        wasm.extend_from_slice(&[0, 6, 4, b'n', b'a', b'm', b'e', 9]);
        wasm
    }

    fn data() -> GameData {
        GameData::generate(
            &GameSpec {
                title: "Pip",
                pet_name: "Pip",
                theme: Theme::House,
                difficulty: Difficulty::Easy,
                seed: 3,
                level_count: 1,
            },
            Sprite::placeholder(),
        )
        .expect("a completable game")
    }

    #[test]
    fn injected_data_reads_back_from_the_custom_section() {
        let wasm = inject(&runtime(), &data()).expect("valid module");
        let section = read_section(&wasm).expect("section present");
        assert_eq!(format::decode(section), Ok(data()));
        assert!(wasm.starts_with(&runtime()), "other sections are kept");
    }

    #[test]
    fn injecting_twice_leaves_one_section_with_the_new_data() {
        let first = inject(&runtime(), &data()).expect("valid module");
        let mut other = data();
        other.pet_name = "Max".into();
        let second = inject(&first, &other).expect("valid module");
        let names: Vec<_> = sections(&second)
            .expect("parses")
            .into_iter()
            .filter_map(|s| custom_parts(&second[s.contents]).map(|(n, _)| n.to_vec()))
            .collect();
        assert_eq!(names, [b"name".to_vec(), SECTION_NAME.as_bytes().to_vec()]);
        let section = read_section(&second).expect("section present");
        assert_eq!(
            format::decode(section).map(|d| d.pet_name),
            Ok("Max".into())
        );
    }

    #[test]
    fn inject_refuses_what_is_not_wasm_and_truncated_modules() {
        assert_eq!(inject(b"PK\x03\x04", &data()), Err(AssembleError::NotWasm));
        let mut truncated = runtime();
        truncated.truncate(truncated.len() - 1);
        assert_eq!(inject(&truncated, &data()), Err(AssembleError::Malformed));
        assert_eq!(read_section(&runtime()), None);
    }

    #[test]
    fn leb128_round_trips_sizes_around_byte_boundaries() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            1 << 20,
            u32::MAX as usize,
        ] {
            let mut bytes = Vec::new();
            write_leb128(&mut bytes, value);
            assert_eq!(read_leb128(&bytes), Some((value, bytes.len())));
        }
        assert_eq!(read_leb128(&[0x80, 0x80]), None);
    }

    #[test]
    fn base64_matches_the_standard_test_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut out = String::new();
            base64_into(input.as_bytes(), &mut out);
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn the_inline_page_is_self_contained_and_escapes_the_title() {
        let page = html_page(&PageOptions {
            title: "Rex & <the> \"Bones\"",
            source: GameSource::Inline {
                glue_js: "export class Game {}\nconst s = '</script>';\nexport default function __wbg_init() {}",
                loader_js: LOADER_JS,
                module: &[0, 97, 115, 109, 1, 0, 0, 0],
            },
        });
        assert!(page.contains("<title>Rex &amp; &lt;the&gt; &quot;Bones&quot;</title>"));
        assert!(!page.contains("http"), "no external URLs");
        assert!(!page.contains("src=\"/"));
        assert!(!page.contains("import "), "nothing is imported");
        assert_eq!(page.matches("</script").count(), 1, "only the closing tag");
        assert!(page.contains("\"AGFzbQEAAAA=\""));
    }

    #[test]
    fn the_embed_page_imports_glue_and_loader_by_url() {
        let page = html_page(&PageOptions {
            title: "Rex",
            source: GameSource::Url {
                glue_url: "/pkg/petpixel_game.js",
                loader_url: "/pkg/loader.js",
                module_url: "/g/abc123/game.wasm\"</script>",
                plays_url: Some("/api/v1/play/abc123/plays"),
                events_url: Some("/api/v1/play/abc123/events"),
                leaderboard_url: Some("/api/v1/play/abc123/leaderboard"),
                report_url: Some("/g/abc123#report"),
            },
        });
        assert!(page.contains("import * as wbg from \"/pkg/petpixel_game.js\""));
        assert!(page.contains("import { start } from \"/pkg/loader.js\""));
        assert!(page.contains("url: \"/g/abc123/game.wasm\\\"\\u003c/script>\""));
        assert!(page.contains("leaderboard: \"/api/v1/play/abc123/leaderboard\""));
        assert!(page.contains("events: \"/api/v1/play/abc123/events\""));
        assert!(page.contains("<a id=\"pp-report\" href=\"/g/abc123#report\" target=\"_blank\""));
        assert!(page.contains("image-rendering: pixelated"));
    }
}
