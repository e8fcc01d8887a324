//! End-to-end tests: real kube-apiserver + etcd, moto, kubectl and helm.
//!
//! One binary with modules so the environment starts once per run. Tests run
//! one at a time by default: they share one moto, which is reset between them.
//! Run one test: `cargo test --test e2e -- smoke::both_servers_are_real`.

// Test code: a failed expectation fails the test, which is what unwrap and expect are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod approvers;
mod autoscaling;
mod bad_input;
mod batch_example;
mod capacity_provider;
mod chaos;
mod chart;
mod cluster;
mod contract;
mod deployer;
mod ec2_example;
mod internal_error;
mod kstatus;
mod leader;
mod managed_instances;
mod pre_deploy;
mod progressive;
mod scaling_contract;
mod scenarios;
mod schedule_contract;
mod scheduled_task;
mod secrets;
mod service;
mod service_connect;
mod service_contract;
mod smoke;
mod support;
mod task;
mod task_contract;
mod task_definition;
mod task_definition_contract;
mod tenancy;
mod traffic;
mod upgrade;

use std::process::ExitCode;

use libtest_mimic::Arguments;

fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    args.test_threads.get_or_insert(1);

    let tests = [
        test!(smoke::both_servers_are_real),
        test!(smoke::admin_is_authorized_and_a_fresh_service_account_is_not),
        test!(contract::cluster_create_and_describe_round_trip),
        test!(contract::cluster_updates_tags_and_delete_round_trip),
        test!(cluster::cluster_lifecycle_from_apply_to_delete),
        test!(cluster::retained_cluster_stays_in_aws),
        test!(cluster::calls_queued_behind_the_rate_limit_are_sent_when_their_turn_comes),
        test!(cluster::immutable_name_and_bad_strategy_are_refused_by_the_api_server),
        test!(task_definition_contract::task_definition_register_and_describe_round_trip),
        test!(task_definition_contract::task_definition_list_and_deregister_round_trip),
        test!(task_definition::seed_task_definition_registers_one_revision_per_change),
        test!(task_definition::latest_revision_deregistered_in_the_console_is_registered_again),
        test!(task_definition::a_revision_a_running_task_uses_is_not_trimmed),
        test!(service_contract::service_create_update_delete_round_trip),
        test!(task_contract::tasks_list_and_describe_round_trip),
        test!(scaling_contract::scalable_target_register_describe_deregister),
        test!(scaling_contract::scaling_policies_put_describe_delete),
        test!(scaling_contract::scheduled_actions_put_describe_delete),
        test!(autoscaling::quickstart_autoscaling_reaches_aws_follows_edits_and_goes_away),
        test!(autoscaling::deleting_an_autoscaled_service_leaves_nothing_in_aws),
        test!(bad_input::every_bad_input_is_refused_or_stalls_and_recovers),
        test!(internal_error::an_object_stored_without_the_crds_rules_stalls_and_the_operator_serves_the_rest),
        test!(internal_error::an_object_the_types_cannot_read_stalls_alone_and_the_rest_of_its_kind_converges),
        test!(upgrade::objects_converged_by_the_previous_release_need_no_aws_writes_after_upgrade),
        test!(chaos::operator_survives_kills_faults_and_restarts_without_duplicates_or_leaks),
        test!(
            task_definition::bad_fargate_sizes_and_broken_references_are_refused_by_the_api_server
        ),
        test!(task_definition::family_cannot_be_renamed),
        test!(service::service_references_and_immutable_fields_are_checked_by_the_api_server),
        test!(service::service_runs_rolls_out_scales_and_goes_with_its_namespace),
        test!(deployer::a_code_deploy_service_waits_for_its_deployer_then_moves_to_ecs_in_place),
        test!(service_connect::twenty_idle_resyncs_of_a_service_connect_service_send_nothing),
        test!(scenarios::the_emulator_plays_every_row_of_the_rollout_scenario_table),
        test!(tenancy::a_cluster_of_another_namespace_cannot_be_adopted_or_deleted),
        test!(tenancy::objects_in_regions_the_operator_does_not_serve_stall_without_clients),
        test!(secrets::planted_secret_values_never_reach_the_log_events_status_or_metrics),
        test!(leader::only_the_leader_reconciles_and_a_standby_takes_over),
        test!(chart::chart_lints_and_the_api_server_accepts_what_it_renders),
        test!(chart::example_manifests_are_accepted_by_the_api_server),
        test!(kstatus::kstatus_agrees_with_every_state_we_report),
        test!(task::tasks_complete_fail_after_their_retries_and_stop_at_their_deadline),
        test!(task::an_attempt_runs_exactly_once_however_often_the_operator_is_killed),
        test!(pre_deploy::a_migration_runs_once_per_revision_before_its_rollout_and_a_failed_one_holds_the_service),
        test!(schedule_contract::schedules_round_trip_through_the_sdk_layer),
        test!(scheduled_task::scheduled_tasks_run_report_their_runs_follow_their_revision_and_suspend),
        test!(scheduled_task::a_schedule_follows_a_new_revision_within_seconds),
        test!(batch_example::the_batch_example_runs_in_the_emulator),
        test!(managed_instances::a_service_runs_on_managed_instances_that_its_cluster_keeps),
        test!(capacity_provider::an_auto_scaling_group_provider_is_managed_and_deleted_after_its_cluster),
        test!(capacity_provider::a_managed_instances_provider_lives_and_dies_inside_its_cluster),
        test!(ec2_example::the_ec2_example_places_gpu_tasks_over_zones_in_the_emulator),
        test!(progressive::a_paused_blue_green_rollout_waits_for_its_approval),
        test!(progressive::a_paused_rollout_survives_an_operator_restart_until_aborted),
        test!(traffic::blue_green_moves_production_traffic_only_when_promoted),
        test!(traffic::a_canary_rolls_back_on_its_alarm_and_on_failing_tasks),
        test!(chart::the_charts_identity_runs_the_full_lifecycle_and_nothing_more),
    ];
    let trials: Vec<_> = tests
        .into_iter()
        .map(|(name, f)| support::trial(name, f))
        .collect();
    if args.list {
        libtest_mimic::run(&args, trials).exit();
    }

    let env = match support::TestEnv::start_or_attach() {
        Ok(env) => env,
        Err(e) => {
            eprintln!("[e2e] the test environment did not start: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    // Still single-threaded here, so setting the process environment is sound. The
    // SDK and kube clients then find moto and the API server through the standard
    // variables (AWS_ENDPOINT_URL, KUBECONFIG), as the operator does.
    for (name, value) in env.vars() {
        #[allow(unsafe_code)] // Sound: no other thread exists yet.
        unsafe {
            std::env::set_var(name, value)
        };
    }
    let env = support::set_env(env);
    let conclusion = match env.install_crds() {
        Ok(()) => libtest_mimic::run(&args, trials),
        Err(e) => {
            eprintln!("[e2e] installing the CRDs failed: {e:#}");
            env.stop(true);
            return ExitCode::FAILURE;
        }
    };
    let clean_shutdown = support::operator::stop();
    env.stop(conclusion.has_failed() || !clean_shutdown);
    if clean_shutdown {
        conclusion.exit_code()
    } else {
        ExitCode::FAILURE
    }
}
