//! One byte blob per key in IndexedDB (database = the host's `persist` name, one object store),
//! enough to keep the response cache across reloads. IndexedDB's callbacks become promises here;
//! `indexedDB` is read from the global scope, so it works in a page and in a Web Worker.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

const STORE: &str = "blobs";

/// Resolves with the request's result once it succeeds, or rejects with its error. Exactly one
/// of the two handlers runs; `once_into_js` frees it then (the other is freed with the request).
async fn settled(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move |event: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &event);
        });
        let failed = Closure::once_into_js(move |event: JsValue| {
            let _ = reject.call1(&JsValue::NULL, &event);
        });
        request.set_onsuccess(Some(ok.unchecked_ref()));
        request.set_onerror(Some(failed.unchecked_ref()));
    });
    JsFuture::from(promise).await?;
    request.result()
}

async fn open(name: &str) -> Result<IdbDatabase, JsValue> {
    let factory: IdbFactory = js_sys::Reflect::get(&js_sys::global(), &"indexedDB".into())?
        .dyn_into()
        .map_err(|_| JsValue::from_str("IndexedDB is not available here"))?;
    let request: IdbOpenDbRequest = factory.open_with_u32(name, 1)?;
    let upgrade = Closure::once_into_js(move |event: web_sys::IdbVersionChangeEvent| {
        let db = event
            .target()
            .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|r| r.dyn_into::<IdbDatabase>().ok());
        if let Some(db) = db {
            let _ = db.create_object_store(STORE);
        }
    });
    request.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    Ok(settled(&request).await?.unchecked_into())
}

/// The blob under `key` in database `name`, `None` when there is none.
pub async fn get(name: &str, key: &str) -> Result<Option<Vec<u8>>, JsValue> {
    let db = open(name).await?;
    let store = db.transaction_with_str(STORE)?.object_store(STORE)?;
    let value = settled(&store.get(&key.into())?).await?;
    db.close();
    Ok(value.dyn_into::<Uint8Array>().ok().map(|a| a.to_vec()))
}

/// Stores `bytes` under `key` in database `name`; resolves once the write is committed (a
/// reload right after cannot lose it).
pub async fn put(name: &str, key: &str, bytes: &[u8]) -> Result<(), JsValue> {
    let db = open(name).await?;
    let transaction = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)?;
    let committed = Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move |event: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &event);
        });
        let failed = Closure::once_into_js(move |event: JsValue| {
            let _ = reject.call1(&JsValue::NULL, &event);
        });
        transaction.set_oncomplete(Some(ok.unchecked_ref()));
        transaction.set_onerror(Some(failed.unchecked_ref()));
    });
    let blob = Uint8Array::from(bytes);
    transaction
        .object_store(STORE)?
        .put_with_key(&blob, &key.into())?;
    JsFuture::from(committed).await?;
    db.close();
    Ok(())
}
