//! The list's "Export CSV" button: the CSV of the current filter, as a download.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::use_api;

/// Downloads the CSV of the list's current filter (`api_query`: the list's API query).
/// Fetched with the session's header, then saved from a blob URL.
#[component]
pub fn ExportButton(#[prop(into)] api_query: Signal<String>) -> impl IntoView {
    let api = use_api();
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let export = move |_| {
        let api = api.clone();
        let query = api_query.get_untracked();
        busy.set(true);
        status.set(Some("Exporting…".into()));
        leptos::task::spawn_local(async move {
            let message = match api.export_csv(&query).await {
                Ok((name, bytes)) => match save(&name, &bytes) {
                    Ok(()) => {
                        let rows = bytes.iter().filter(|b| **b == b'\n').count().saturating_sub(1);
                        format!("Downloaded {name} ({rows} tickets)")
                    }
                    Err(e) => format!("Cannot save the file: {e}"),
                },
                Err(f) => f.message(),
            };
            status.try_set(Some(message));
            busy.try_set(false);
        });
    };
    view! {
        <div class="field">
            <span class="label-spacer"></span>
            <button class="secondary" id="export-csv" disabled=move || busy.get() on:click=export>
                "Export CSV"
            </button>
            <p class="hint" id="export-status" role="status">{move || status.get()}</p>
        </div>
    }
}

/// Saves `bytes` as a download named `name`.
fn save(name: &str, bytes: &[u8]) -> Result<(), String> {
    let err = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(err)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(err)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(err)?.dyn_into().map_err(|_| "not a link".to_owned())?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url).map_err(err)?;
    Ok(())
}
