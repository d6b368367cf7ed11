//! Stripe.js in the browser: the card field (Stripe's Element, so card data goes from the
//! browser to Stripe and never to our server), saving the typed card into a SetupIntent, and
//! finishing 3-D Secure. The server pays with the saved card (docs/adr/0014-payments.md).

/// A card field mounted in the page, with the Stripe.js instance it belongs to.
#[derive(Clone)]
pub struct Card {
    #[cfg(feature = "hydrate")]
    stripe: wasm_bindgen::JsValue,
    #[cfg(feature = "hydrate")]
    element: wasm_bindgen::JsValue,
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::js_sys::{Function, Object, Promise, Reflect};

    use super::Card;

    fn get(target: &JsValue, key: &str) -> JsValue {
        Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
    }

    fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, String> {
        let function: Function = get(target, method)
            .dyn_into()
            .map_err(|_| format!("Stripe.js has no {method}"))?;
        let args: web_sys::js_sys::Array = args.iter().collect();
        function
            .apply(target, &args)
            .map_err(|e| message(&e).unwrap_or_else(|| format!("{method} failed")))
    }

    /// The `message` of a Stripe.js error (or of a thrown error).
    fn message(value: &JsValue) -> Option<String> {
        get(value, "message").as_string()
    }

    async fn settle(promise: JsValue) -> Result<JsValue, String> {
        let promise: Promise = promise
            .dyn_into()
            .map_err(|_| "Stripe.js did not answer with a promise".to_owned())?;
        JsFuture::from(promise)
            .await
            .map_err(|e| message(&e).unwrap_or_else(|| "Stripe.js failed".into()))
    }

    /// Loads Stripe.js from `src` once (a `<script>` in the head: Stripe.js finds its own
    /// address from it).
    async fn load(src: &str) -> Result<(), String> {
        let window = web_sys::window().ok_or("no window")?;
        if Reflect::has(&window, &"Stripe".into()) == Ok(true) {
            return Ok(());
        }
        let document = window.document().ok_or("no document")?;
        let script = document
            .create_element("script")
            .map_err(|_| "could not add Stripe.js")?;
        script
            .set_attribute("src", src)
            .map_err(|_| "could not add Stripe.js")?;
        let loaded = Promise::new(&mut |resolve: Function, reject: Function| {
            let onload = Closure::once_into_js(move || {
                let _ = resolve.call0(&JsValue::NULL);
            });
            let onerror = Closure::once_into_js(move || {
                let _ = reject.call0(&JsValue::NULL);
            });
            let _ = Reflect::set(&script, &"onload".into(), &onload);
            let _ = Reflect::set(&script, &"onerror".into(), &onerror);
        });
        document
            .head()
            .ok_or("no head")?
            .append_child(&script)
            .map_err(|_| "could not add Stripe.js")?;
        JsFuture::from(loaded)
            .await
            .map_err(|_| "Stripe.js could not be loaded: check your connection".to_owned())?;
        Ok(())
    }

    pub async fn mount(src: &str, key: &str, selector: &str) -> Result<Card, String> {
        load(src).await?;
        let window = web_sys::window().ok_or("no window")?;
        let stripe_fn: Function = get(&window, "Stripe")
            .dyn_into()
            .map_err(|_| "Stripe.js did not load")?;
        let stripe = stripe_fn
            .call1(&JsValue::NULL, &key.into())
            .map_err(|e| message(&e).unwrap_or_else(|| "Stripe.js refused the key".into()))?;
        let elements = call(&stripe, "elements", &[])?;
        let element = call(&elements, "create", &["card".into()])?;
        call(&element, "mount", &[selector.into()])?;
        Ok(Card { stripe, element })
    }

    impl Card {
        pub async fn save(&self, setup_secret: &str) -> Result<String, String> {
            let method = Object::new();
            let _ = Reflect::set(&method, &"card".into(), &self.element);
            let data = Object::new();
            let _ = Reflect::set(&data, &"payment_method".into(), &method);
            let result = settle(call(
                &self.stripe,
                "confirmCardSetup",
                &[setup_secret.into(), data.into()],
            )?)
            .await?;
            let error = get(&result, "error");
            if !error.is_undefined() && !error.is_null() {
                return Err(message(&error).unwrap_or_else(|| "the card was refused".into()));
            }
            let method = get(&get(&result, "setupIntent"), "payment_method");
            method
                .as_string()
                .or_else(|| get(&method, "id").as_string())
                .ok_or_else(|| "Stripe.js did not save the card".into())
        }

        pub async fn authenticate(&self, client_secret: &str) -> Result<(), String> {
            let result = settle(call(
                &self.stripe,
                "confirmCardPayment",
                &[client_secret.into()],
            )?)
            .await?;
            let error = get(&result, "error");
            if !error.is_undefined() && !error.is_null() {
                return Err(message(&error).unwrap_or_else(|| "the bank did not confirm".into()));
            }
            Ok(())
        }
    }
}

/// Mounts Stripe.js's card field (loaded from `src`, started with the publishable `key`) in
/// the element `selector` names.
pub async fn mount(src: &str, key: &str, selector: &str) -> Result<Card, String> {
    #[cfg(feature = "hydrate")]
    {
        browser::mount(src, key, selector).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (src, key, selector);
        Err("payments need the browser".into())
    }
}

impl Card {
    /// Saves the typed card with the SetupIntent's secret: its payment method id (`pm_…`).
    pub async fn save_card(&self, setup_secret: &str) -> Result<String, String> {
        #[cfg(feature = "hydrate")]
        {
            self.save(setup_secret).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = setup_secret;
            Err("payments need the browser".into())
        }
    }

    /// Lets the card's bank confirm the payment (3-D Secure).
    pub async fn confirm_with_bank(&self, client_secret: &str) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            self.authenticate(client_secret).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = client_secret;
            Err("payments need the browser".into())
        }
    }
}
