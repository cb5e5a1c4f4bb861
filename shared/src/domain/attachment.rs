//! Files an agent sends: which types WhatsApp takes as which kind of message and how large each
//! may be (checked before anything is uploaded), and the storage key an upload is bound to.

use serde::{Deserialize, Serialize};

use crate::domain::ids::TicketId;

/// How WhatsApp shows a file: the message type it is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Document,
    Audio,
    Video,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Document => "document",
            Self::Audio => "audio",
            Self::Video => "video",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "image" => Self::Image,
            "document" => Self::Document,
            "audio" => Self::Audio,
            "video" => Self::Video,
            _ => return None,
        })
    }

    /// The largest file of this kind the Cloud API takes.
    pub fn max_bytes(self) -> u64 {
        match self {
            Self::Image => 5 * MB,
            Self::Document => 100 * MB,
            Self::Audio | Self::Video => 16 * MB,
        }
    }

    /// Whether WhatsApp shows a caption with it (audio has none).
    pub fn has_caption(self) -> bool {
        !matches!(self, Self::Audio)
    }
}

const MB: u64 = 1024 * 1024;

/// The longest caption the Cloud API takes.
pub const MAX_CAPTION: usize = 1024;
/// The longest file name we keep (it is part of the storage key and of a document message).
pub const MAX_FILE_NAME: usize = 120;

/// The types the Cloud API sends, by kind (Meta's "supported media types").
const TYPES: [(&str, MediaKind); 16] = [
    ("image/jpeg", MediaKind::Image),
    ("image/png", MediaKind::Image),
    ("application/pdf", MediaKind::Document),
    ("text/plain", MediaKind::Document),
    ("application/msword", MediaKind::Document),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        MediaKind::Document,
    ),
    ("application/vnd.ms-excel", MediaKind::Document),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        MediaKind::Document,
    ),
    ("application/vnd.ms-powerpoint", MediaKind::Document),
    ("audio/aac", MediaKind::Audio),
    ("audio/mp4", MediaKind::Audio),
    ("audio/mpeg", MediaKind::Audio),
    ("audio/amr", MediaKind::Audio),
    ("audio/ogg", MediaKind::Audio),
    ("video/mp4", MediaKind::Video),
    ("video/3gpp", MediaKind::Video),
];

/// Why a file cannot be sent on WhatsApp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error(
        "{0} cannot be sent on WhatsApp; send an image (JPEG, PNG), a document (PDF, Word, Excel, PowerPoint, text), audio (AAC, MP4, MPEG, AMR, OGG) or video (MP4, 3GPP)"
    )]
    TypeNotAllowed(String),
    #[error("{} files may be at most {} MB on WhatsApp; this one is {}", .kind.as_str(), .kind.max_bytes() / MB, megabytes(*.size))]
    TooLarge { kind: MediaKind, size: u64 },
    #[error("the file is empty")]
    Empty,
    #[error("file_name needs 1-{MAX_FILE_NAME} characters, without / or \\ or control characters")]
    BadFileName,
}

/// `12.3 MB`: one decimal, as people read file sizes.
fn megabytes(size: u64) -> String {
    format!("{:.1} MB", size as f64 / MB as f64)
}

/// `image/jpeg; charset=x` is `image/jpeg`, in lower case.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The kind of message a file of `content_type` is sent as, if WhatsApp takes the type.
pub fn kind_of(content_type: &str) -> Result<MediaKind, AttachmentError> {
    let essence = essence(content_type);
    TYPES
        .iter()
        .find(|(t, _)| *t == essence)
        .map(|(_, k)| *k)
        .ok_or(AttachmentError::TypeNotAllowed(essence))
}

/// Checks a file against WhatsApp's type and size limits: the kind it is sent as.
pub fn check(content_type: &str, size: u64) -> Result<MediaKind, AttachmentError> {
    let kind = kind_of(content_type)?;
    if size == 0 {
        return Err(AttachmentError::Empty);
    }
    if size > kind.max_bytes() {
        return Err(AttachmentError::TooLarge { kind, size });
    }
    Ok(kind)
}

/// A file name as given (the last path segment of what a browser sends), checked.
pub fn file_name(name: &str) -> Result<String, AttachmentError> {
    let name = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_FILE_NAME || name.chars().any(char::is_control) || name == ".." {
        return Err(AttachmentError::BadFileName);
    }
    Ok(name.to_owned())
}

/// Where files for `ticket`'s customer are uploaded; a key outside it is not the ticket's.
pub fn key_prefix(ticket: TicketId) -> String {
    format!("outbound/{ticket}/")
}

/// The storage key of one upload: bound to the ticket, unique per upload (`upload` is a fresh
/// ULID), ending in the file name made safe for a URL path.
pub fn upload_key(ticket: TicketId, upload: &str, file_name: &str) -> String {
    let safe: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}{upload}/{safe}", key_prefix(ticket))
}

/// The file name a key ends in (what a document message shows).
pub fn file_name_of_key(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// Whether `key` is one [`upload_key`] made for `ticket` (no other ticket's, no path tricks).
pub fn belongs_to(key: &str, ticket: TicketId) -> bool {
    let Some(rest) = key.strip_prefix(&key_prefix(ticket)) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    parts.len() == 2
        && parts[0].len() == 26
        && parts[0].bytes().all(|b| b.is_ascii_alphanumeric())
        && !parts[1].is_empty()
        && parts[1] != ".."
        && parts[1]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> TicketId {
        TicketId::new(jiff::Timestamp::from_second(1_795_510_800).unwrap())
    }

    #[test]
    fn each_kind_is_held_to_whatsapps_own_limit() {
        assert_eq!(check("image/png", 5 * MB), Ok(MediaKind::Image));
        assert_eq!(check("application/pdf", 100 * MB), Ok(MediaKind::Document));
        assert_eq!(
            check("audio/ogg; codecs=opus", 16 * MB),
            Ok(MediaKind::Audio)
        );
        assert_eq!(check("video/mp4", 16 * MB), Ok(MediaKind::Video));
        for (ty, size, limit) in [
            ("image/jpeg", 5 * MB + 1, "image files may be at most 5 MB"),
            (
                "application/pdf",
                100 * MB + 1,
                "document files may be at most 100 MB",
            ),
            (
                "audio/mpeg",
                16 * MB + 1,
                "audio files may be at most 16 MB",
            ),
            ("video/mp4", 17 * MB, "video files may be at most 16 MB"),
        ] {
            let e = check(ty, size).unwrap_err();
            assert!(e.to_string().starts_with(limit), "{ty}: {e}");
        }
        assert_eq!(
            check("image/png", 6 * MB).unwrap_err().to_string(),
            "image files may be at most 5 MB on WhatsApp; this one is 6.0 MB"
        );
    }

    #[test]
    fn types_whatsapp_does_not_send_are_named_in_the_refusal() {
        for ty in [
            "image/gif",
            "image/webp",
            "application/zip",
            "text/html",
            "",
        ] {
            let e = check(ty, 10).unwrap_err();
            assert!(matches!(e, AttachmentError::TypeNotAllowed(_)), "{ty}");
        }
        assert!(
            check("image/gif", 10)
                .unwrap_err()
                .to_string()
                .starts_with("image/gif cannot be sent on WhatsApp")
        );
        assert_eq!(check("image/png", 0), Err(AttachmentError::Empty));
    }

    #[test]
    fn an_upload_key_is_bound_to_its_ticket_and_keeps_a_safe_file_name() {
        let t = ticket();
        let key = upload_key(t, "01JD0000000000000000000000", "Rechnung März 2026.pdf");
        assert!(key.starts_with(&format!("outbound/{t}/")), "{key}");
        assert_eq!(file_name_of_key(&key), "Rechnung_M_rz_2026.pdf");
        assert!(belongs_to(&key, t));
        let other = TicketId::new(jiff::Timestamp::from_second(1_795_510_801).unwrap());
        assert!(!belongs_to(&key, other));
        for bad in [
            format!("outbound/{t}/../x"),
            format!("outbound/{t}/01JD0000000000000000000000/a/b"),
            format!("media/{t}/x"),
            format!("outbound/{t}/short/x.pdf"),
        ] {
            assert!(!belongs_to(&bad, t), "{bad}");
        }
    }

    #[test]
    fn file_names_are_the_last_segment_and_sane() {
        assert_eq!(file_name("C:\\Users\\a\\scan.pdf").unwrap(), "scan.pdf");
        assert_eq!(file_name(" report.pdf ").unwrap(), "report.pdf");
        for bad in ["", "   ", "a\nb.pdf", "..", "dir/"] {
            assert_eq!(file_name(bad), Err(AttachmentError::BadFileName), "{bad:?}");
        }
        assert!(file_name(&"x".repeat(MAX_FILE_NAME + 1)).is_err());
    }
}
