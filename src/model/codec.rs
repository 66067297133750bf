//! The server functions' JSON, decoded in the browser from text.
//!
//! Leptos decodes an island's props with `serde_json::from_str`, and server-function answers
//! with `serde_json::from_slice`: two readers, and a second copy in the wasm of every decoder
//! both paths use (the auth snapshot above all). Decoding the answers as text too keeps one.
//! The wire is unchanged: `application/json`, the same bytes.

use leptos::server_fn::{codec::Post, Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

/// JSON with `serde_json`, read through `from_str` (see the module).
pub struct JsonTextEncoding;

/// A `POST` answered with JSON read as text: the output codec of the kit's server functions.
pub type JsonText = Post<JsonTextEncoding>;

impl ContentType for JsonTextEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonTextEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            <serde_json::Error as serde::de::Error>::custom("the answer is not UTF-8")
        })?;
        serde_json::from_str(text)
    }
}
