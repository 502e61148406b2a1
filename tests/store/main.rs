//! One test suite for the run store, written once and run against both backends: the
//! embedded SQLite file and a real PostgreSQL (see [`harness`] for where it comes from).
//! Both must behave alike down to the bytes: the same rows, the same refusals, the same
//! hashes for the same events.

mod commands;
mod copy;
mod failures;
// The copy of a folder both the binary's and the copy's tests start from.
#[path = "../common/files.rs"]
mod files;
mod harness;
mod instances;
mod items;
mod joint;
mod leases;
mod people;
mod race;
mod runs;
mod serve;
mod timeouts;

/// Instantiates each test body (a function of a [`harness::Backend`]) once per backend, as
/// `sqlite::NAME` and `postgres::NAME`.
macro_rules! on_both_backends {
    ($module:ident: $($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { crate::$module::$name(crate::harness::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { crate::$module::$name(crate::harness::Backend::Postgres) } )*
        }
    };
}

mod run_store {
    on_both_backends!(runs:
        a_reference_is_taken_once_per_flow,
        a_refused_start_leaves_the_transaction_usable,
        events_round_trip_byte_for_byte,
        a_run_that_gained_events_refuses_a_stale_append,
        runs_are_listed_filtered_and_found_overdue,
        a_read_only_store_creates_nothing_and_refuses_writes,
        a_newer_schema_is_refused,
        a_group_commit_keeps_what_its_commands_committed,
        a_commit_never_claims_what_it_did_not_write,
    );
}

mod people_store {
    on_both_backends!(people:
        users_are_kept_with_their_departments,
        sessions_tokens_and_failures,
        training_records_keep_the_first_confirmation,
        files_are_kept_once_by_their_digest,
        digests_are_recorded_once_a_day,
    );
}

mod binary {
    on_both_backends!(commands:
        run_and_user_commands_use_the_named_store,
        the_server_reads_and_writes_through_the_named_store,
    );
}

mod copying {
    on_both_backends!(copy:
        a_populated_store_is_copied_event_for_event,
        a_target_that_is_not_empty_is_refused,
        a_failed_copy_leaves_the_target_empty,
        the_binary_copies_and_the_target_verifies,
    );
}

mod step_timeouts {
    on_both_backends!(timeouts:
        a_timeout_is_recorded_at_its_due_moment_and_the_run_moves_on,
        a_run_is_found_by_the_moment_it_next_changes,
    );
}

mod joint_sign_off {
    on_both_backends!(joint:
        a_joint_step_takes_one_signature_per_department,
    );
}

mod per_item_runs {
    on_both_backends!(items:
        a_per_item_run_keeps_its_item_and_a_trigger_its_start,
    );
}

mod races {
    on_both_backends!(race:
        two_stores_completing_one_step_never_fork_the_chain,
    );
}

mod several_instances {
    on_both_backends!(instances:
        a_session_opened_on_one_instance_is_good_on_the_other,
        two_instances_completing_one_step_sign_it_once,
    );
}

mod failures_under_load {
    on_both_backends!(failures:
        a_killed_server_loses_no_acknowledged_step,
    );

    #[test]
    fn a_restarted_database_is_a_clear_503_then_served_again() {
        crate::failures::a_restarted_database_is_a_clear_503_then_served_again();
    }
}

mod leases_of_jobs {
    on_both_backends!(leases:
        one_store_holds_a_jobs_lease_at_a_time,
    );

    #[test]
    fn a_cut_connection_frees_the_lease() {
        crate::leases::a_cut_connection_frees_the_lease();
    }
}

#[test]
fn both_backends_chain_the_same_events_to_the_same_hashes() {
    runs::same_chain_on_both();
}
