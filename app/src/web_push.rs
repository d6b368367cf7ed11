//! Web Push in the browser: asking permission, subscribing through the service worker
//! (`/sw.js`, which shows the notification when the push arrives) and handing the
//! subscription to the server.

use crate::dto::PushSubscriptionJson;

/// Where this browser stands with notifications for the site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// No Push API or service workers (or not checked yet, as on the server).
    Unavailable,
    /// The person turned notifications off for this site; only they can turn them back on.
    Blocked,
    /// We may ask.
    Available,
}

/// Why subscribing did not work, in words for the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushError(pub String);

impl std::fmt::Display for PushError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::js_sys::{JSON, Reflect};
    use web_sys::{
        Notification, NotificationPermission, PushManager, PushSubscriptionOptionsInit,
        ServiceWorkerRegistration,
    };

    use super::{PushError, PushSubscriptionJson, Support};

    /// The service worker that shows pushes; served from the site root so its scope is `/`.
    const WORKER: &str = "/sw.js";

    pub fn support() -> Support {
        let Some(window) = web_sys::window() else {
            return Support::Unavailable;
        };
        let has = |target: &JsValue, name: &str| Reflect::has(target, &name.into()) == Ok(true);
        if !(has(&window, "PushManager")
            && has(&window, "Notification")
            && has(&window.navigator(), "serviceWorker"))
        {
            return Support::Unavailable;
        }
        match Notification::permission() {
            NotificationPermission::Denied => Support::Blocked,
            _ => Support::Available,
        }
    }

    fn failed(what: &str) -> impl Fn(JsValue) -> PushError + '_ {
        move |e| {
            let detail = e
                .dyn_ref::<web_sys::js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_default();
            PushError(format!("{what} ({detail})"))
        }
    }

    pub async fn subscribe(public_key: &str) -> Result<PushSubscriptionJson, PushError> {
        let window = web_sys::window().ok_or_else(|| PushError("no window".into()))?;
        let permission =
            Notification::request_permission().map_err(failed("could not ask for permission"))?;
        let answer = JsFuture::from(permission)
            .await
            .map_err(failed("could not ask for permission"))?;
        if answer.as_string().as_deref() != Some("granted") {
            return Err(PushError(
                "Notifications were not allowed, so we cannot tell this device.".into(),
            ));
        }
        let workers = window.navigator().service_worker();
        JsFuture::from(workers.register(WORKER))
            .await
            .map_err(failed("could not start the notification worker"))?;
        let ready = workers
            .ready()
            .map_err(failed("the notification worker did not start"))?;
        let registration: ServiceWorkerRegistration = JsFuture::from(ready)
            .await
            .map_err(failed("the notification worker did not start"))?
            .unchecked_into();
        let manager: PushManager = registration
            .push_manager()
            .map_err(failed("this browser cannot receive pushes"))?;
        let options = PushSubscriptionOptionsInit::new();
        // Browsers only allow pushes that show a notification.
        options.set_user_visible_only(true);
        options.set_application_server_key_opt_str(Some(public_key));
        let pending = manager
            .subscribe_with_options(&options)
            .map_err(failed("could not subscribe"))?;
        let subscription = JsFuture::from(pending)
            .await
            .map_err(failed("the browser's push service refused"))?;
        // `JSON.stringify` calls the subscription's `toJSON()`: endpoint and keys.
        let json =
            JSON::stringify(&subscription).map_err(failed("could not read the subscription"))?;
        serde_json::from_str(&String::from(json))
            .map_err(|e| PushError(format!("could not read the subscription ({e})")))
    }
}

/// Whether this browser can be notified (checked in the browser only).
pub fn support() -> Support {
    #[cfg(feature = "hydrate")]
    {
        browser::support()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Support::Unavailable
    }
}

/// Asks permission (this must run from a click) and subscribes this browser with our
/// `public_key`.
pub async fn subscribe(public_key: &str) -> Result<PushSubscriptionJson, PushError> {
    #[cfg(feature = "hydrate")]
    {
        browser::subscribe(public_key).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = public_key;
        Err(PushError("notifications need the browser".into()))
    }
}
