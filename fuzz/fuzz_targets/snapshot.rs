//! The existing-users loader on arbitrary exports: never panics, loads the same way on 1 and
//! 2 threads, and when it loads, every key a user holds is found, held by that user or by an
//! earlier one with the same key (the first holder wins).
#![no_main]

use libfuzzer_sys::fuzz_target;
use user_import::internals::record::KeyKind;
use user_import::{ExportSource, Snapshot, SnapshotOptions};

fn load(data: &[u8], threads: usize, connection: Option<&str>) -> Result<Snapshot, String> {
    let source = ExportSource::Bytes {
        name: "export".into(),
        data: data.to_vec(),
    };
    let opts = SnapshotOptions {
        connection: connection.map(str::to_owned),
        threads,
    };
    Snapshot::load(vec![source], &opts).map_err(|e| e.to_string())
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, data)) = data.split_first() else {
        return;
    };
    let connection = (pick & 1 == 1).then_some("db");
    let one = load(data, 1, connection);
    let two = load(data, 2, connection);
    let (one, two) = match (one, two) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "the error depends on the thread count");
            return;
        }
        (a, b) => panic!("1 thread {:?}, 2 threads {:?}", a.is_ok(), b.is_ok()),
    };
    assert_eq!(
        (one.len(), one.keys(), one.held_twice()),
        (two.len(), two.keys(), two.held_twice())
    );
    let (mut key, mut other, mut scratch) = (String::new(), String::new(), String::new());
    for u in 0..one.len() as u32 {
        for kind in KeyKind::ALL {
            if !one.user(u).key(kind, &mut key) {
                continue;
            }
            let filed = kind == KeyKind::UserId || one.in_connection(u);
            let holder = one.holder(kind, key.as_bytes(), &mut scratch);
            assert_eq!(holder, two.holder(kind, key.as_bytes(), &mut scratch));
            if !filed {
                continue;
            }
            let h = holder.expect("a held key is found");
            assert!(h <= u, "a later user holds the key");
            assert!(one.user(h).key(kind, &mut other) && other == key);
        }
    }
});
