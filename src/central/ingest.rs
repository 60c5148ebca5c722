//! Checking a push batch before anything of it is applied: its size, each event's id and
//! sequence, and that every fact belongs to the device's own store (atuin's rule: a host only
//! writes its own records). Pure: no SQL, no I/O. A batch that fails here is refused whole.
//!
//! Error messages go back to the terminal that sent the batch; they may quote its payload (serde
//! does), so they are never logged.

use crate::central::store::{Fact, IncomingEvent};
use crate::sync::protocol::{EventKind, JournalPayload, MAX_BATCH, PushRequest, SalePayload};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("a push batch holds at most {MAX_BATCH} events, this one {count}")]
    TooLarge { count: usize },
    #[error("event with sequence {seq}: {reason}")]
    Malformed { seq: i64, reason: String },
    #[error(
        "event with sequence {seq} is for store {store}, but this device belongs to another store: nothing applied"
    )]
    ForeignStore { seq: i64, store: String },
}

/// The batch's events, checked, parsed and sorted by sequence.
pub fn check_batch(
    request: PushRequest,
    device_store: &str,
) -> Result<Vec<IncomingEvent>, BatchError> {
    if request.events.len() > MAX_BATCH {
        return Err(BatchError::TooLarge {
            count: request.events.len(),
        });
    }
    let mut events = Vec::with_capacity(request.events.len());
    for event in request.events {
        let seq = event.seq;
        let malformed = |reason: String| BatchError::Malformed { seq, reason };
        let id = uuid::Uuid::parse_str(&event.id)
            .map_err(|_| malformed("its id is not a UUID".into()))?;
        if seq < 1 {
            return Err(malformed("device sequences start at 1".into()));
        }
        // Any fact that names a store must name this device's: whatever its kind, so that a
        // newer terminal's facts are held to the same rule.
        if let Some(store) = event.payload.get("store").and_then(|s| s.as_str())
            && store != device_store
        {
            return Err(BatchError::ForeignStore {
                seq,
                store: store.to_owned(),
            });
        }
        let fact = match event.kind {
            EventKind::Sale => {
                let sale: SalePayload = serde_json::from_value(event.payload.clone())
                    .map_err(|e| malformed(format!("the sale cannot be read: {e}")))?;
                Fact::Sale(sale)
            }
            EventKind::JournalEntry => {
                let entry: JournalPayload = serde_json::from_value(event.payload.clone())
                    .map_err(|e| malformed(format!("the journal entry cannot be read: {e}")))?;
                Fact::Journal(entry)
            }
            _ => Fact::Recorded,
        };
        events.push(IncomingEvent {
            id: id.hyphenated().to_string(),
            seq,
            kind: event.kind,
            created_at: event.created_at,
            payload: event.payload.to_string(),
            fact,
        });
    }
    events.sort_by_key(|e| e.seq);
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::protocol::OutboxEvent;
    use serde_json::json;

    fn event(seq: i64, kind: EventKind, payload: serde_json::Value) -> OutboxEvent {
        OutboxEvent {
            id: uuid::Uuid::new_v4().to_string(),
            seq,
            kind,
            created_at: 1,
            payload,
        }
    }

    fn sale(store: &str) -> serde_json::Value {
        json!({"ticket": "T1", "terminal": "T01", "store": store, "created_at": 1,
               "training": false, "total_cents": 100, "lines": [], "payments": []})
    }

    #[test]
    fn events_come_out_in_sequence_order() {
        let request = PushRequest {
            events: vec![
                event(3, EventKind::Closing, json!({})),
                event(1, EventKind::Sale, sale("PAR-01")),
                event(2, EventKind::Other, json!({"x": 1})),
            ],
        };
        let events = check_batch(request, "PAR-01").expect("valid");
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert!(matches!(events[0].fact, Fact::Sale(_)));
    }

    #[test]
    fn refusals() {
        type Expected = fn(&BatchError) -> bool;
        let cases: Vec<(OutboxEvent, Expected)> = vec![
            (event(1, EventKind::Sale, sale("LYO-01")), |e| {
                matches!(e, BatchError::ForeignStore { .. })
            }),
            (
                event(1, EventKind::Return, json!({"store": "LYO-01"})),
                |e| matches!(e, BatchError::ForeignStore { .. }),
            ),
            (event(1, EventKind::Sale, json!({"ticket": 3})), |e| {
                matches!(e, BatchError::Malformed { .. })
            }),
            (event(0, EventKind::Closing, json!({})), |e| {
                matches!(e, BatchError::Malformed { .. })
            }),
            (
                OutboxEvent {
                    id: "not-a-uuid".into(),
                    ..event(1, EventKind::Closing, json!({}))
                },
                |e| matches!(e, BatchError::Malformed { .. }),
            ),
        ];
        for (event, expected) in cases {
            let err = check_batch(
                PushRequest {
                    events: vec![event.clone()],
                },
                "PAR-01",
            )
            .expect_err("refused");
            assert!(expected(&err), "{event:?} gave {err:?}");
        }
        let too_many = PushRequest {
            events: (1..=MAX_BATCH as i64 + 1)
                .map(|s| event(s, EventKind::Other, json!({})))
                .collect(),
        };
        assert!(matches!(
            check_batch(too_many, "PAR-01"),
            Err(BatchError::TooLarge { .. })
        ));
    }
}
