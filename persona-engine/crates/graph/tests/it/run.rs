//! The consumer loop over the embedded Postgres bus.

use std::time::Duration;

use alloy_primitives::Address;
use trex_persona_graph::Projector;
use trex_persona_pipeline::{Bus, Message, PgBus, PgBusConfig};

use crate::support::*;

#[tokio::test]
async fn the_projector_consumes_the_bus_sets_bad_messages_aside_and_stops_on_shutdown() {
    let (_db, pool) = database("graph_run").await;
    let bus = PgBus::open(pool.clone(), PgBusConfig::default()).await.unwrap();
    let create = applied(&at(1, 0), created(1, Address::repeat_byte(1)));
    let bad = Message::new("chain.apply:bad", "chain.apply", serde_json::json!({"nope": true}));
    // Decodes, but its time is out of range: it fails the transaction of passport 1's group,
    // whose other messages must still be applied.
    let far = result("far", 1, u64::MAX, Vec::new());
    let credit = applied(&at(2, 0), credited(1, "defi", 7));
    bus.publish(&[create.clone(), bad, credit, far]).await.unwrap();

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let projector = Projector::new(pool.clone()).with_batch(4);
    let run = tokio::spawn(async move {
        projector
            .run(&bus, "graph_test", async {
                let _ = stopped.await;
            })
            .await
    });
    let rejected = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT message_id FROM graph_rejected_messages ORDER BY message_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while features(&pool, 1).await.map(|f| f.8) != Some(7) || rejected().await.len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "the projector did not catch up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rejected().await, ["chain.apply:bad", "validator.result:far"]);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), run).await.unwrap().unwrap().unwrap();
    // Every message was acknowledged once its effect was committed.
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM pipeline_deliveries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(pending, 0);
}
