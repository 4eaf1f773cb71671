use trex_persona_bi::{
    Arm, BiError, ExperimentStatus, assigned_arm, create_experiment, expose, get_experiment,
    record_conversion, results, set_status,
    stats::{Proportion, two_proportion_z_test},
};

use crate::database;

fn arms() -> Vec<Arm> {
    vec![
        Arm { name: "control".into(), weight: 1.0 },
        Arm { name: "new-banner".into(), weight: 1.0 },
    ]
}

#[tokio::test]
async fn experiment_end_to_end_with_srm_detection() {
    let (_db, pool) = database("bi_experiments").await;
    let exp = create_experiment(&pool, "acme", "banner", &arms()).await.unwrap();
    // Not running yet: no exposure.
    assert!(matches!(expose(&pool, &exp, 1).await, Err(BiError::Conflict(_))));
    set_status(&pool, &exp, ExperimentStatus::Running).await.unwrap();
    let exp = get_experiment(&pool, "acme", exp.id).await.unwrap();

    let mut per_arm = [0u64; 2];
    for passport in 1..=2_000i64 {
        let arm = expose(&pool, &exp, passport).await.unwrap();
        assert_eq!(arm, assigned_arm(&exp, passport).unwrap());
        per_arm[arm] += 1;
    }
    // A repeated exposure returns the recorded arm and records nothing new.
    assert_eq!(expose(&pool, &exp, 7).await.unwrap(), assigned_arm(&exp, 7).unwrap());

    // Conversions: every 10th passport of the treatment, every 20th of the control.
    let mut converted = [0u64; 2];
    for passport in 1..=2_000i64 {
        let arm = assigned_arm(&exp, passport).unwrap();
        if passport % [20, 10][arm] == 0 {
            assert!(record_conversion(&pool, &exp, passport, "signup").await.unwrap());
            converted[arm] += 1;
        }
    }
    // Only the first conversion counts; unexposed passports cannot convert.
    assert!(!record_conversion(&pool, &exp, 20, "signup").await.unwrap());
    assert!(matches!(
        record_conversion(&pool, &exp, 5_000, "signup").await,
        Err(BiError::Conflict(_))
    ));

    let r = results(&pool, &exp, "signup", 0.95).await.unwrap();
    assert_eq!([r.arms[0].units, r.arms[1].units], per_arm);
    assert_eq!([r.arms[0].conversions, r.arms[1].conversions], converted);
    let expected = two_proportion_z_test(
        Proportion::new(converted[0], per_arm[0]),
        Proportion::new(converted[1], per_arm[1]),
        0.95,
    )
    .unwrap();
    assert_eq!(r.arms[1].vs_control, Some(expected));
    assert!(r.arms[0].vs_control.is_none());
    assert!(expected.p_value < 0.01, "{expected:?}");
    // The hash split is fair: no SRM.
    assert!(!r.srm_mismatch, "{:?} {:?}", per_arm, r.srm);

    // A logging bug drops 30% of the treatment's exposures: the SRM check must catch it.
    sqlx::query(
        "DELETE FROM bi_assignments WHERE experiment_id = $1 AND arm = 1 AND passport_id % 10 < 3",
    )
    .bind(exp.id)
    .execute(&pool)
    .await
    .unwrap();
    let r = results(&pool, &exp, "signup", 0.95).await.unwrap();
    assert!(r.srm_mismatch, "{:?}", r.srm);
    assert!(r.srm.unwrap().p_value < 1e-6);

    // Stopped: results stay, nothing new is recorded, no way back.
    set_status(&pool, &exp, ExperimentStatus::Stopped).await.unwrap();
    assert!(matches!(expose(&pool, &exp, 9_000).await, Err(BiError::Conflict(_))));
    assert!(matches!(
        set_status(&pool, &exp, ExperimentStatus::Running).await,
        Err(BiError::Conflict(_))
    ));
}

#[tokio::test]
async fn bad_experiments_are_refused() {
    let (_db, pool) = database("bi_experiments_bad").await;
    let one = [Arm { name: "only".into(), weight: 1.0 }];
    assert!(matches!(create_experiment(&pool, "acme", "x", &one).await, Err(BiError::Stats(_))));
    let dup = [Arm { name: "a".into(), weight: 1.0 }, Arm { name: "a".into(), weight: 2.0 }];
    assert!(matches!(
        create_experiment(&pool, "acme", "x", &dup).await,
        Err(BiError::Invalid { .. })
    ));
    let zero = [Arm { name: "a".into(), weight: 1.0 }, Arm { name: "b".into(), weight: 0.0 }];
    assert!(matches!(create_experiment(&pool, "acme", "x", &zero).await, Err(BiError::Stats(_))));
    create_experiment(&pool, "acme", "x", &arms()).await.unwrap();
    assert!(matches!(
        create_experiment(&pool, "acme", "x", &arms()).await,
        Err(BiError::Conflict(_))
    ));
    assert!(matches!(get_experiment(&pool, "other", 1).await, Err(BiError::NotFound { .. })));
}
