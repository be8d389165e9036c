//! Password hashes: `password_hash` and `custom_password_hash` format rules.
