//! No heap allocation per record on the hot path (issue 5): the record stage's allocations
//! must not grow with the number of valid records it processes. Its own test binary, because
//! it replaces the global allocator with one that counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use user_import::internals::frame::Framer;
use user_import::internals::record::{Input, RecordOptions, Worker};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Valid records of every common shape: metadata, MFA factors, a custom hash, a bcrypt
/// password_hash, a picture, a username; distinct emails, some with upper case.
fn records_of(n: usize, only: Option<usize>) -> (Vec<u8>, Vec<Input>) {
    let mut data = Vec::new();
    for i in 0..n {
        let rec = match only.unwrap_or(i % 4) {
            0 => format!(
                r#"{{"email":"User{i}@Example.com","user_id":"id{i}","password_hash":"$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG","app_metadata":{{"plan":"pro","org":{{"id":{i},"tags":["a","b"]}}}}}}"#
            ),
            1 => format!(
                r#"{{"email":"u{i}@example.org","username":"user_{i}","given_name":"Ann","family_name":"Lee","name":"Ann Lee","picture":"https://example.com/a/{i}.png","custom_password_hash":{{"algorithm":"md5","hash":{{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"}},"salt":{{"value":"s{i}","position":"suffix"}}}}}}"#
            ),
            2 => format!(
                r#"{{"email":"m{i}@example.net","email_verified":true,"mfa_factors":[{{"totp":{{"secret":"JBSWY3DPEHPK3PXP"}}}},{{"phone":{{"value":"+15550000{}"}}}}],"user_metadata":{{"lang":"fr","prefs":{{"news":true}}}},"password_hash":"$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG"}}"#,
                i % 10
            ),
            _ => format!(
                r#"{{"email":"p{i}@example.com","phone_number":"+4470000{:05}","blocked":false,"custom_password_hash":{{"algorithm":"pbkdf2","hash":{{"value":"$pbkdf2-sha512$i=100000,l=64$KNyFsA2rWoE$I2CQGI9H0JxdDf3kERRI97kPCGxh0KWBIV3MxyaS191gDGfzVBGyS4BibhgqWQ0/ails8mHuU9ckASxHOOq58w"}}}}}}"#,
                i % 100_000
            ),
        };
        data.extend_from_slice(rec.as_bytes());
        data.push(b'\n');
    }
    let mut framer = Framer::new();
    let mut spans = Vec::new();
    framer.feed(&data, 0, &mut spans).expect("frames");
    framer
        .finish(data.len() as u64, &mut spans)
        .expect("frames");
    let inputs = spans
        .iter()
        .map(|s| Input {
            index: s.index,
            raw: s.start as usize..s.end as usize,
            complete: true,
            size: s.end - s.start,
        })
        .collect();
    (data, inputs)
}

fn allocations_for(worker: &mut Worker, data: &[u8], inputs: &[Input]) -> (u64, usize) {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let chunk = worker.process(data, inputs, RecordOptions::default());
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    let inserted = chunk
        .recs
        .iter()
        .filter(|r| r.op == user_import::Op::Insert)
        .count();
    (after - before, inserted)
}

/// One test, on purpose: tests run on parallel threads and would share the counter.
#[test]
fn the_record_stage_does_not_allocate_per_valid_record() {
    // Each shape alone, then all mixed.
    for only in [Some(0), Some(1), Some(2), Some(3), None] {
        let (data, inputs) = records_of(4_000, only);
        let mut worker = Worker::new();
        // Warm up: the worker's buffers grow to the largest record once.
        allocations_for(&mut worker, &data, &inputs[..400]);
        let (small, ok_small) = allocations_for(&mut worker, &data, &inputs[..400]);
        let (large, ok_large) = allocations_for(&mut worker, &data, &inputs);
        assert_eq!(
            (ok_small, ok_large),
            (400, 4_000),
            "every record must be a valid insert"
        );
        // A chunk allocates its arenas, and they grow by doubling: a few dozen allocations
        // whatever the count. One allocation per record would add 3,600 here.
        let extra = large.saturating_sub(small);
        eprintln!("shape {only:?}: 400 records {small} allocations, 4,000 records {large}");
        assert!(
            extra <= 40,
            "shape {only:?}: {extra} more allocations for 3,600 more records"
        );
    }
}
