//! Devices: the serial barcode scanner, the camera with its QR decoder, and the receipt printer.
//! Each runs on its own thread and talks to the app through channels; none of them may block the
//! UI or crash the terminal when a device disappears. Filled in by the "Scanning inputs" issue.

pub mod camera;
pub mod camera_worker;
pub mod frames;
pub mod port;
pub mod printer;
pub mod qr;
pub mod scanner;
pub mod wedge;
