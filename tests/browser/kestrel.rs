//! The forms of spec format 1.1 on the Kestrel example: a nonconformity started at the
//! trigger chosen, a calibration started for the gauge chosen, several dispositions ticked
//! at once, a calibration whose result decides (no outcome asked) with a temperature out of
//! range refused at its field, the MRB signed by each department in turn (one person once),
//! and scrap that may not be destroyed before its date.

use crate::harness::{Browser, PASSWORD, Person, Qms, Result, assert_has, in_browser};

/// The quality engineer: chairs the MRB, records dispositions.
const PRIYA: Person = Person {
    login: "priya",
    name: "Priya Natarajan",
    depts: &["QA"],
    role: "staff",
};
/// The inspector: opens NCRs, calibrates gauges.
const OWEN: Person = Person {
    login: "owen",
    name: "Owen Reid",
    depts: &["QC"],
    role: "staff",
};
/// The production supervisor: an MRB member, destroys scrap.
const DAN: Person = Person {
    login: "dan",
    name: "Dan Cooper",
    depts: &["PROD"],
    role: "staff",
};

/// The manufacturing engineer: an MRB member.
const ERIN: Person = Person {
    login: "erin",
    name: "Erin Walsh",
    depts: &["ENG"],
    role: "staff",
};

const SIGN: &str = "form.step-form button.primary";

/// Kestrel with its people and nonconformity `reference` opened at inspection and
/// circulated: the MRB is to sign.
fn ncr_at_mrb(qms: &Qms, reference: &str) {
    qms.run(&[
        "start",
        "KPM-QP-13",
        "--ref",
        reference,
        "--trigger",
        "1",
        "--plan",
        "mrb=2026-03-10",
        "--at",
        "2026-03-02 09:00",
        "--by",
        "Owen Reid",
    ])
    .run(&[
        "done",
        reference,
        "identify",
        "--by",
        "Owen Reid",
        "--at",
        "2026-03-02 10:00",
        "--field",
        "ncr.ncr_no=NCR-0417",
        "--field",
        "ncr.part=KP-2210 rev C",
        "--field",
        "ncr.quantity=12",
        "--field",
        "ncr.description=Bore 0.04 mm oversize",
    ])
    .run(&[
        "done",
        reference,
        "circulate",
        "--by",
        "Priya Natarajan",
        "--at",
        "2026-03-06 09:00",
    ]);
}

/// The MRB signed through the command line by the departments `depts`, each by its member
/// (the store has accounts, so each signer is one).
fn mrb_signed(qms: &Qms, reference: &str, depts: &[&str]) {
    for dept in depts {
        let by = [&PRIYA, &DAN, &ERIN]
            .into_iter()
            .find(|p| p.depts.contains(dept))
            .expect("a member of the department")
            .login;
        qms.run(&[
            "done",
            reference,
            "mrb",
            "--by",
            by,
            "--as",
            dept,
            "--at",
            "2026-03-10 10:00",
        ]);
    }
}

async fn sign_out(b: &Browser) -> Result {
    b.press(
        "form[action=\"/sign-out\"] button",
        "form[action=\"/sign-in\"]",
    )
    .await?;
    Ok(())
}

#[test]
fn runs_start_at_the_trigger_and_for_the_gauge_chosen() {
    let server = Qms::kestrel(&[&OWEN]).serve();
    in_browser(&server, |b| async move {
        // Inspection starts a nonconformity: not the flow's first step (a customer return,
        // for sales) but the step of the trigger chosen.
        b.sign_in(&OWEN).await?;
        b.open("/runs/new?flow=KPM-QP-13/ncr", "select[name=trigger]")
            .await?;
        let triggers = b.text("select[name=trigger]").await?;
        assert_has(&triggers, "A customer returns parts", "the second trigger");
        b.choose("trigger", "Parts found nonconforming at inspection")
            .await?;
        b.type_in("ref", "NCR-0418").await?;
        b.set_value("plan.mrb", "2030-06-03").await?;
        b.press(
            "form[action=\"/runs/new\"] button.primary",
            "#step-identify",
        )
        .await?;
        assert_eq!(b.path().await?, "/runs/NCR-0418");
        assert_has(
            &b.text("#step-identify .tag.state").await?,
            "active",
            "the trigger's step",
        );
        let first = b.text("#step-customer-return .tag.state").await?;
        assert!(!first.contains("active"), "the first step waits: {first}");

        // A calibration is started for one gauge of the register.
        b.open("/runs/new?flow=KPM-QP-11/calibration", "select[name=item]")
            .await?;
        let gauges = b.text("select[name=item]").await?;
        for key in ["GA-001", "GA-002", "GA-007", "GA-012"] {
            assert_has(&gauges, key, "a gauge of the register");
        }
        assert_has(&gauges, "GA-007 · Digital height gauge", "the gauge's row");
        b.choose(
            "item",
            "GA-007 · Digital height gauge · 0-600 mm · Inspection room · Medium · Accredited lab",
        )
        .await?;
        b.type_in("ref", "CAL-GA-007-2026").await?;
        b.press("form[action=\"/runs/new\"] button.primary", "#step-recall")
            .await?;
        let head = b.text("section.card").await?;
        assert_has(&head, "GA-007", "the run's gauge");
        assert_has(&head, "Digital height gauge", "the gauge's register row");
        assert_has(
            &b.text("#step-recall .tag.state").await?,
            "active",
            "the first step",
        );
        Ok(())
    });
}

#[test]
fn several_dispositions_are_ticked_and_a_calibration_result_decides() {
    let qms = Qms::kestrel(&[&PRIYA, &OWEN, &DAN, &ERIN]);
    ncr_at_mrb(&qms, "NCR-0417");
    mrb_signed(&qms, "NCR-0417", &["QA", "PROD", "ENG"]);
    qms.run(&[
        "start",
        "KPM-QP-11",
        "--ref",
        "CAL-GA-001",
        "--item",
        "GA-001",
        "--at",
        "2026-03-02 09:00",
        "--by",
        "Owen Reid",
    ]);
    for (step, outcome) in [
        ("recall", None),
        ("route", Some("In house")),
        ("calibrate", None),
    ] {
        let mut args = vec!["done", "CAL-GA-001", step, "--by", "Owen Reid"];
        if let Some(o) = outcome {
            args.extend(["--outcome", o]);
        }
        qms.run(&args);
    }
    let server = qms.serve();
    in_browser(&server, |b| async move {
        b.sign_in(&PRIYA).await?;
        b.open("/runs/NCR-0417/steps/disposition", "form.step-form")
            .await?;
        let decision = b.text("fieldset:has(input[name=outcome])").await?;
        assert_has(&decision, "one or more may be chosen", "the hint");
        b.pick("outcome", "Rework").await?;
        b.pick("outcome", "Return to supplier").await?;
        b.type_in("password", PASSWORD).await?;
        b.press(SIGN, "#step-disposition .signature").await?;
        let disposition = b.text("#step-disposition").await?;
        assert_has(&disposition, "Rework, Return to supplier", "both outcomes");
        for (step, state) in [
            ("rework", "active"),
            ("return", "active"),
            ("scrap-hold", "skipped"),
        ] {
            assert_has(
                &b.text(&format!("#step-{step} .tag.state")).await?,
                state,
                step,
            );
        }
        sign_out(&b).await?;

        // The result entered on the calibration record decides: no outcome is asked.
        b.sign_in(&OWEN).await?;
        b.open("/runs/CAL-GA-001/steps/evaluate", "form.step-form")
            .await?;
        assert!(
            b.texts("input[name=outcome]").await?.is_empty(),
            "no outcome input on a step decided by a field"
        );
        let temperature = "f.calibration-record.temperature";
        b.type_in("f.calibration-record.standard", "Gauge block set cert 4411")
            .await?;
        b.type_in(temperature, "25").await?;
        b.type_in("f.calibration-record.tolerance_used", "140")
            .await?;
        b.choose("f.calibration-record.result", "Out of tolerance")
            .await?;
        b.type_in("password", PASSWORD).await?;
        // The browser holds the form back and says why at the field ...
        let field = serde_json::to_value(b.find(&format!("[name=\"{temperature}\"]")).await?)?;
        let said = b
            .client
            .execute(
                "return arguments[0].validity.rangeOverflow ? arguments[0].validationMessage : ''",
                vec![field.clone()],
            )
            .await?;
        assert!(
            said.as_str().is_some_and(|m| m.contains("22")),
            "the browser names the maximum: {said}"
        );
        // ... and without the browser's check the server refuses it at the same field.
        b.client
            .execute("arguments[0].form.noValidate = true", vec![field])
            .await?;
        b.press(SIGN, ".error[role=alert]").await?;
        let at_field = b
            .texts(&format!("label:has([name=\"{temperature}\"]) .error"))
            .await?
            .join(" | ");
        assert_has(&at_field, "22", "the refusal at the temperature");
        b.type_in(temperature, "20.5").await?;
        b.type_in("password", PASSWORD).await?;
        b.press(SIGN, "#step-evaluate .signature").await?;
        assert_has(
            &b.text("#step-evaluate").await?,
            "Out of tolerance",
            "the outcome the field gave",
        );
        assert_has(
            &b.text("#step-impact .tag.state").await?,
            "active",
            "the impact assessment follows",
        );
        Ok(())
    });
}

#[test]
fn each_department_signs_the_mrb_once_and_scrap_waits_for_its_date() {
    let qms = Qms::kestrel(&[&PRIYA, &OWEN, &DAN, &ERIN]);
    ncr_at_mrb(&qms, "NCR-0420");
    mrb_signed(&qms, "NCR-0420", &["ENG"]);
    ncr_at_mrb(&qms, "NCR-0421");
    mrb_signed(&qms, "NCR-0421", &["QA", "PROD", "ENG"]);
    qms.run(&[
        "done",
        "NCR-0421",
        "disposition",
        "--by",
        "Priya Natarajan",
        "--outcome",
        "Scrap",
    ])
    .run(&["done", "NCR-0421", "scrap-hold", "--by", "Priya Natarajan"]);
    let server = qms.serve();
    in_browser(&server, |b| async move {
        b.sign_in(&PRIYA).await?;
        b.open("/runs/NCR-0420/steps/mrb", "form.step-form").await?;
        // Not the last signature: the form asks for the signature only.
        let form = b.text("form.step-form").await?;
        assert_has(&form, "Still to sign: QA, PROD", "the departments to sign");
        assert!(!form.contains("Root cause"), "no record fields:\n{form}");
        b.type_in("password", PASSWORD).await?;
        b.press(SIGN, "#step-mrb .signature").await?;
        let mrb = b.text("#step-mrb").await?;
        assert_has(&mrb, "Priya Natarajan", "the QA signature");
        assert_has(&mrb, "Quality Assurance", "attributed to QA");
        assert_has(&mrb, "Erin Walsh", "the engineer's signature");
        assert_has(
            &b.text("#step-mrb .tag.state").await?,
            "active",
            "production still to sign",
        );
        // A second signature of the same person is refused, saying who signs next.
        b.open("/runs/NCR-0420/steps/mrb", "main").await?;
        let again = b.text("main").await?;
        assert_has(&again, "already signed for QA", "the refusal");
        assert_has(&again, "still to sign: PROD", "who signs next");
        sign_out(&b).await?;

        b.sign_in(&DAN).await?;
        b.open("/runs/NCR-0420/steps/mrb", "form.step-form").await?;
        // The last signature enters the MRB record.
        b.type_in("f.mrb-minutes.cause", "Worn boring bar insert")
            .await?;
        b.type_in("f.mrb-minutes.scrap_qty", "12").await?;
        b.type_in("password", PASSWORD).await?;
        b.press(SIGN, "#step-mrb .signature").await?;
        let mrb = b.text("#step-mrb").await?;
        assert_has(&mrb, "Dan Cooper", "the production signature");
        assert_has(&mrb, "Production", "attributed to PROD");
        assert_has(&mrb, "Priya Natarajan", "QA's signature kept");
        assert_has(&mrb, "Worn boring bar insert", "the MRB record");
        assert_has(
            &b.text("#step-disposition .tag.state").await?,
            "active",
            "the disposition follows",
        );

        // Scrap is held ten working days: the page says from when, and an early
        // signature is refused with that date.
        b.open("/runs/NCR-0421", "#step-destroy .earliest").await?;
        let earliest = b.text("#step-destroy .earliest time").await?;
        b.open("/runs/NCR-0421/steps/destroy", "form.step-form")
            .await?;
        b.type_in("password", PASSWORD).await?;
        let refusal = b
            .press(SIGN, ".card.error[role=alert]")
            .await?
            .text()
            .await?;
        assert_has(&refusal, "may not be completed before", "the refusal");
        assert_has(&refusal, &earliest, "the date it may be completed");
        b.open("/runs/NCR-0421", "#step-destroy").await?;
        assert_has(
            &b.text("#step-destroy .tag.state").await?,
            "active",
            "not destroyed",
        );
        Ok(())
    });
}
