//! The Scheduler timers adapter against moto: one `at()` schedule per timer, idempotent arming,
//! disarming what is gone is success.

use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindowMode};
use helpdesk::ports::timers::{
    ArmOutcome, SchedulerTarget, SchedulerTimers, Timer, TimerName, Timers,
};
use helpdesk_local::provision::queue_arn;
use helpdesk_tests::Stack;

#[tokio::test]
async fn a_timer_becomes_one_one_shot_schedule_targeting_the_queue_and_disarms_idempotently() {
    let stack = Stack::new().await;
    let scheduler = stack.aws.scheduler().clone();
    let target_arn = queue_arn(stack.aws.sqs(), &stack.resources.inbound_dlq_url)
        .await
        .unwrap();
    let dead_letter_arn = queue_arn(stack.aws.sqs(), &stack.resources.sla_dlq_url)
        .await
        .unwrap();
    let timers = SchedulerTimers::new(
        scheduler.clone(),
        SchedulerTarget {
            group: stack.resources.schedule_group.clone(),
            queue_arn: target_arn.clone(),
            role_arn: "arn:aws:iam::123456789012:role/helpdesk-scheduler".into(),
            dead_letter_arn: Some(dead_letter_arn.clone()),
        },
    );
    let name = format!(
        "sla-{}-first_response-1",
        stack.resources.table.trim_end_matches("-helpdesk")
    );
    let timer = Timer {
        name: TimerName::parse(&name).unwrap(),
        due_at: "2026-03-29T01:30:00.250Z".parse().unwrap(),
        payload: r#"{"ticket_id":"x","target":"first_response","version":1}"#.into(),
    };
    assert_eq!(timers.arm(&timer).await.unwrap(), ArmOutcome::Armed);
    assert_eq!(
        timers.arm(&timer).await.unwrap(),
        ArmOutcome::AlreadyArmed,
        "a retry arms no second timer"
    );

    let schedule = scheduler
        .get_schedule()
        .name(&name)
        .group_name(&stack.resources.schedule_group)
        .send()
        .await
        .unwrap();
    assert_eq!(
        schedule.schedule_expression(),
        Some("at(2026-03-29T01:30:01)")
    );
    assert_eq!(
        schedule.action_after_completion(),
        Some(&ActionAfterCompletion::Delete)
    );
    assert_eq!(
        schedule.flexible_time_window().map(|w| w.mode()),
        Some(&FlexibleTimeWindowMode::Off)
    );
    let target = schedule.target().unwrap();
    assert_eq!(target.arn(), target_arn);
    assert_eq!(target.input(), Some(timer.payload.as_str()));
    let retry = target.retry_policy().expect("a retry policy");
    assert_eq!(
        (
            retry.maximum_event_age_in_seconds(),
            retry.maximum_retry_attempts()
        ),
        (Some(3_600), Some(185)),
        "an undeliverable timer is retried for an hour"
    );
    assert_eq!(
        target.dead_letter_config().and_then(|d| d.arn()),
        Some(dead_letter_arn.as_str()),
        "then it lands in the schedules' dead-letter queue"
    );

    timers.disarm(&timer.name).await.unwrap();
    timers.disarm(&timer.name).await.unwrap();
    assert!(
        scheduler
            .get_schedule()
            .name(&name)
            .group_name(&stack.resources.schedule_group)
            .send()
            .await
            .is_err()
    );
}
