//! In-memory WhatsApp: records what was sent (the local runner's simulated phone reads it) and
//! fails on cue, as the Cloud API would.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{MediaUpload, OutboundBody, WhatsAppClient, WhatsAppError};
use crate::domain::ids::{PhoneNumberId, WaId, Wamid};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub from: PhoneNumberId,
    pub to: WaId,
    pub body: OutboundBody,
    pub wamid: Wamid,
}

/// A file uploaded to the (simulated) Cloud API media endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedMedia {
    pub id: String,
    pub bytes: Vec<u8>,
    pub mime_type: String,
    pub file_name: String,
}

#[derive(Debug, Default)]
pub struct MemoryWhatsApp {
    sent: Mutex<Vec<SentMessage>>,
    read: Mutex<Vec<Wamid>>,
    /// Messages marked read with the typing indicator (an agent opened the conversation).
    typing: Mutex<Vec<Wamid>>,
    /// Scripted outcomes of the next sends: `None` passes, `Some` fails.
    faults: Mutex<VecDeque<Option<WhatsAppError>>>,
    /// Files uploaded to the media endpoint, by media id.
    uploads: Mutex<Vec<UploadedMedia>>,
    /// Scripted failures of the next media uploads.
    upload_faults: Mutex<VecDeque<WhatsAppError>>,
    counter: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryWhatsApp {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next sends fail with these errors, in order.
    pub fn inject_faults(&self, errors: impl IntoIterator<Item = WhatsAppError>) {
        lock(&self.faults).extend(errors.into_iter().map(Some));
    }

    /// The next `passes` sends succeed, then the following ones fail with `errors`.
    pub fn fail_after(&self, passes: usize, errors: impl IntoIterator<Item = WhatsAppError>) {
        let mut faults = lock(&self.faults);
        faults.extend(std::iter::repeat_n(None, passes));
        faults.extend(errors.into_iter().map(Some));
    }

    /// The next media uploads fail with these errors, in order.
    pub fn inject_upload_faults(&self, errors: impl IntoIterator<Item = WhatsAppError>) {
        lock(&self.upload_faults).extend(errors);
    }

    /// The files uploaded to the media endpoint, in order.
    pub fn uploads(&self) -> Vec<UploadedMedia> {
        lock(&self.uploads).clone()
    }

    pub fn sent(&self) -> Vec<SentMessage> {
        lock(&self.sent).clone()
    }

    pub fn read(&self) -> Vec<Wamid> {
        lock(&self.read).clone()
    }

    /// The messages marked read with a typing indicator, in order.
    pub fn read_typing(&self) -> Vec<Wamid> {
        lock(&self.typing).clone()
    }
}

#[async_trait]
impl WhatsAppClient for MemoryWhatsApp {
    async fn send(
        &self,
        from: &PhoneNumberId,
        to: &WaId,
        body: &OutboundBody,
    ) -> Result<Wamid, WhatsAppError> {
        if let Some(Some(fault)) = lock(&self.faults).pop_front() {
            return Err(fault);
        }
        body.validate()?;
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let wamid = Wamid::parse(&format!("wamid.sim{n:06}")).expect("a valid wamid");
        lock(&self.sent).push(SentMessage {
            from: from.clone(),
            to: to.clone(),
            body: body.clone(),
            wamid: wamid.clone(),
        });
        Ok(wamid)
    }

    async fn upload_media(
        &self,
        _from: &PhoneNumberId,
        file: &MediaUpload<'_>,
    ) -> Result<String, WhatsAppError> {
        if let Some(fault) = lock(&self.upload_faults).pop_front() {
            return Err(fault);
        }
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let id = format!("{}", 900_000_000_000_u64 + n);
        lock(&self.uploads).push(UploadedMedia {
            id: id.clone(),
            bytes: file.bytes.to_vec(),
            mime_type: file.mime_type.to_owned(),
            file_name: file.file_name.to_owned(),
        });
        Ok(id)
    }

    async fn mark_read(&self, _from: &PhoneNumberId, wamid: &Wamid) -> Result<(), WhatsAppError> {
        lock(&self.read).push(wamid.clone());
        Ok(())
    }

    async fn mark_read_typing(
        &self,
        _from: &PhoneNumberId,
        wamid: &Wamid,
    ) -> Result<(), WhatsAppError> {
        if let Some(Some(fault)) = lock(&self.faults).pop_front() {
            return Err(fault);
        }
        lock(&self.typing).push(wamid.clone());
        Ok(())
    }
}
