//! Browser-side calls that are not server functions: the multipart upload, the account
//! routes of the REST API (one implementation for browsers, scripts and apps), the clipboard.

use gloo_net::http::Request;
use web_sys::{File, FormData};

use crate::dto::{ApiErrorBody, UploadedImage};
use crate::error::AppError;

/// Sends a photo to `POST /api/v1/images/upload` as the multipart field `image`.
pub async fn upload_image(file: &File) -> Result<UploadedImage, AppError> {
    let form = FormData::new().map_err(|_| AppError::Transport("FormData unavailable".into()))?;
    form.append_with_blob_and_filename("image", file, &file.name())
        .map_err(|_| AppError::Transport("could not read the file".into()))?;
    let response = Request::post("/api/v1/images/upload")
        .body(form)
        .map_err(|e| AppError::Transport(e.to_string()))?
        .send()
        .await
        .map_err(|e| AppError::Transport(e.to_string()))?;
    if response.ok() {
        return response
            .json()
            .await
            .map_err(|e| AppError::Transport(e.to_string()));
    }
    let status = response.status();
    Err(match response.json::<ApiErrorBody>().await {
        Ok(body) => AppError::Invalid {
            field: body.error.field.unwrap_or_else(|| "image".into()),
            message: body.error.message,
        },
        Err(_) => AppError::Transport(format!("the server answered {status}")),
    })
}

/// Sends `body` as JSON to one of the REST API's routes; a refusal becomes the error its body
/// describes.
pub async fn send_json<T: serde::Serialize>(
    method: &str,
    url: &str,
    body: &T,
) -> Result<(), AppError> {
    let builder = match method {
        "PUT" => Request::put(url),
        "DELETE" => Request::delete(url),
        _ => Request::post(url),
    };
    let response = builder
        .json(body)
        .map_err(|e| AppError::Transport(e.to_string()))?
        .send()
        .await
        .map_err(|e| AppError::Transport(e.to_string()))?;
    if response.ok() {
        return Ok(());
    }
    let status = response.status();
    Err(match response.json::<ApiErrorBody>().await {
        Ok(body) => AppError::Invalid {
            field: body.error.field.unwrap_or_default(),
            message: body.error.message,
        },
        Err(_) => AppError::Transport(format!("the server answered {status}")),
    })
}

/// Asks the person to confirm (the browser's own dialog); on the server, nothing is asked.
pub fn confirm(message: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}

/// Loads `path` as a new page (after signing in or out, so every part of the page, the
/// header included, is drawn for the new caller).
pub fn go_to(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
}

/// Loads the current page again (after a payment, so every part is drawn from the new state).
pub fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// Copies text to the clipboard; resolves once the browser has done it.
pub async fn copy_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// Opens the system's share sheet (the Web Share API) for a link: `None` where the browser
/// has none (desktops, mostly), else whether it was shared (or the sheet closed).
pub async fn share_link(title: &str, url: &str) -> Option<bool> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::js_sys::{Function, Object, Promise, Reflect};

    let navigator = web_sys::window()?.navigator();
    // Looked up, not bound: the API is missing from many browsers.
    let share = Reflect::get(&navigator, &"share".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let data = Object::new();
    Reflect::set(&data, &"title".into(), &title.into()).ok()?;
    Reflect::set(&data, &"url".into(), &url.into()).ok()?;
    let promise = share
        .call1(&navigator, &data)
        .ok()?
        .dyn_into::<Promise>()
        .ok()?;
    Some(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok())
}

/// An object URL to preview a chosen file, if the browser can make one.
pub fn object_url(file: &File) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(file).ok()
}

/// Follows the server-sent events named `event` at `url`, handing each one's JSON data to
/// `each` until it answers true (then true), or until the stream cannot be opened or breaks
/// (then false). What the server pushes (a webhook's effect, a worker's stage) reaches the
/// page when it happens, with no asking again.
#[cfg(feature = "hydrate")]
pub async fn follow<T: serde::de::DeserializeOwned>(
    url: &str,
    event: &str,
    mut each: impl FnMut(T) -> bool,
) -> bool {
    follow_text(url, event, &mut |data| {
        serde_json::from_str::<T>(&data).is_ok_and(&mut each)
    })
    .await
}

/// The stream itself, once for every kind of data: only the parsing above is per type, which
/// keeps the module small.
#[cfg(feature = "hydrate")]
async fn follow_text(url: &str, event: &str, each: &mut dyn FnMut(String) -> bool) -> bool {
    use futures_util::StreamExt;
    use gloo_net::eventsource::futures::EventSource;

    let Ok(mut source) = EventSource::new(url) else {
        return false;
    };
    let Ok(mut events) = source.subscribe(event) else {
        return false;
    };
    let mut done = false;
    while let Some(Ok((_, message))) = events.next().await {
        if message.data().as_string().is_some_and(&mut *each) {
            done = true;
            break;
        }
    }
    source.close();
    done
}
