//! Keyset paging: pages are disjoint, complete and in ranking order, ties broken by id.

use std::collections::HashSet;

use trex_persona_query::{Criterion, MatchRequest, Scoring, run};

use crate::harness::{Persona, binary, database, ids, insert_all};

#[tokio::test]
async fn cursor_pages_are_disjoint_and_complete() {
    let (_db, pool) = database().await;
    // Five distinct scores over 53 passports: every page boundary falls inside a tie.
    let personas: Vec<Persona> =
        (1..=53).map(|id| Persona { nfts: (id * 7) % 5, ..Persona::new(id) }).collect();
    insert_all(&pool, &personas).await;
    let criteria = vec![
        binary("nft_count >= 2", 1.0),
        Criterion {
            expr: "nft_count".into(),
            weight: 0.5,
            scoring: Scoring::Linear { min: 0.0, max: 4.0 },
        },
    ];

    let all = run(
        &pool,
        &MatchRequest { criteria: criteria.clone(), filter: None, limit: Some(1000), cursor: None },
    )
    .await
    .unwrap();
    assert_eq!(all.matches.len(), 53);
    assert_eq!(all.next_cursor, None);
    for pair in all.matches.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(a.pms > b.pms || (a.pms == b.pms && a.passport_id < b.passport_id), "{a:?} {b:?}");
    }

    let mut paged = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let request =
            MatchRequest { criteria: criteria.clone(), filter: None, limit: Some(7), cursor };
        // Through JSON, as a client would send the cursor back.
        let request: MatchRequest =
            serde_json::from_value(serde_json::to_value(&request).unwrap()).unwrap();
        let page = run(&pool, &request).await.unwrap();
        pages += 1;
        assert!(page.matches.len() <= 7);
        paged.extend(ids(&page));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 8, "53 results in pages of 7");
    assert_eq!(paged, ids(&all));
    assert_eq!(paged.iter().collect::<HashSet<_>>().len(), 53);
}

#[tokio::test]
async fn a_full_last_page_has_no_cursor() {
    let (_db, pool) = database().await;
    insert_all(&pool, &(1..=4).map(Persona::new).collect::<Vec<_>>()).await;
    let request = MatchRequest {
        criteria: vec![binary("TRUE", 1.0)],
        filter: None,
        limit: Some(2),
        cursor: None,
    };
    let first = run(&pool, &request).await.unwrap();
    assert_eq!(ids(&first), [1, 2]);
    let second = run(&pool, &MatchRequest { cursor: first.next_cursor, ..request }).await.unwrap();
    assert_eq!(ids(&second), [3, 4]);
    assert_eq!(second.next_cursor, None);
}
