//! Whether a serial port (scanner or printer) can be opened right now, for `comptoir doctor`.
//! It opens the port and closes it at once: nothing is written to the device and no setting of
//! the device itself changes.

use std::path::Path;

/// What opening a serial port gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortProbe {
    /// The port opened (and was closed again).
    Opens,
    /// No such path (device unplugged, or a dangling `/dev/serial/by-id` link).
    Missing,
    /// The path exists but another program holds it (serialport opens ports exclusively, so the
    /// running terminal's own reader makes this answer).
    Busy(String),
    /// The path exists but cannot be opened (permissions, not a serial device…).
    Unavailable(String),
}

/// Opens `path` at `baud` and closes it.
pub fn probe(path: &str, baud: u32) -> PortProbe {
    match serialport::new(path, baud).open() {
        Ok(port) => {
            drop(port);
            PortProbe::Opens
        }
        // Asked of the path rather than of the error: serialport gives EBUSY and a missing
        // device the same error kind (see scanner.rs). `exists` follows symbolic links.
        Err(_) if !Path::new(path).exists() => PortProbe::Missing,
        Err(error) if error.description.to_lowercase().contains("busy") => {
            PortProbe::Busy(error.description)
        }
        Err(error) => PortProbe::Unavailable(error.description),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_path_is_missing() {
        assert_eq!(
            probe("/dev/comptoir-no-such-port", 9600),
            PortProbe::Missing
        );
    }

    #[test]
    fn a_regular_file_is_not_a_port() {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        let path = file.path().to_string_lossy().into_owned();
        assert!(matches!(probe(&path, 9600), PortProbe::Unavailable(_)));
    }
}
