//! The notifier: who gets what and when (memory mailer), every kind rendered (snapshots), real
//! SMTP on loopback (aiosmtpd), and `simulate --mail-dir`.

mod delivery;
mod preview;
mod smtp;
mod snapshots;
mod world;
