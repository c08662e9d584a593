//! The one error every command returns. Serialises as `{kind, message}` (like Tauri's own
//! plugins) so the UI can branch on `kind` and show `message`.

use serde::ser::SerializeStruct;

#[derive(Debug, thiserror::Error)]
pub enum IpcError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    Network(String),
    #[error("{0}")]
    Storage(String),
    #[error("{0}")]
    Internal(String),
    /// A search typed over by a newer one before it ran (its answer would be thrown away).
    #[error("{0}")]
    Superseded(String),
}

impl IpcError {
    /// One of each kind, in order (contract.rs writes their kinds into the generated TS).
    pub fn samples() -> Vec<IpcError> {
        use IpcError::*;
        let all = vec![
            NotFound(String::new()),
            InvalidInput(String::new()),
            Network(String::new()),
            Storage(String::new()),
            Internal(String::new()),
            Superseded(String::new()),
        ];
        for e in &all {
            // A new variant stops the build here: add it to `all` above too.
            match e {
                NotFound(_) | InvalidInput(_) | Network(_) | Storage(_) | Internal(_) | Superseded(_) => {}
            }
        }
        all
    }

    pub fn kind(&self) -> &'static str {
        match self {
            IpcError::NotFound(_) => "notFound",
            IpcError::InvalidInput(_) => "invalidInput",
            IpcError::Network(_) => "network",
            IpcError::Storage(_) => "storage",
            IpcError::Internal(_) => "internal",
            IpcError::Superseded(_) => "superseded",
        }
    }
}

impl serde::Serialize for IpcError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("IpcError", 2)?;
        s.serialize_field("kind", self.kind())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

impl From<caliber_core::Error> for IpcError {
    fn from(e: caliber_core::Error) -> Self {
        use caliber_core::Error as E;
        let message = e.to_string();
        match e {
            E::ArticleNotFound(_) | E::SourceNotFound(_) => IpcError::NotFound(message),
            E::InvalidUrl { .. } | E::UnknownEdition(_) | E::Opml(_) => IpcError::InvalidInput(message),
            E::Fetch(_) | E::Parse(_) | E::RelayRefused { .. } => IpcError::Network(message),
            E::Db(_) | E::DiskFull | E::OpenDb { .. } | E::Migration { .. } | E::SchemaTooNew { .. } | E::Io(_) => IpcError::Storage(message),
            E::SyncAborted(_) => IpcError::Internal(message),
        }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;
