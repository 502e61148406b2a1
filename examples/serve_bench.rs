//! Load benchmark of `procdoc serve`: a release server on a store of 100,000 runs of the
//! red-maple contract flow, under 50 concurrent clients, each on its own kept-alive
//! connection. Reports the 50th and 95th percentile latency and the throughput of My work
//! (`GET /`), a run's page (`GET /runs/REF`) and step completion (`POST /api/runs/REF/steps/
//! STEP` by 50 customer-service users in turn, each signature with its password: argon2id
//! the first time per user, the server's memo of checked passwords after that), each phase
//! on its own, then one client's `GET /api/runs/REF` against a whole `procdoc run show`
//! process.
//!
//! cargo build --release --bin procdoc --example serve_bench
//! target/release/examples/serve_bench [RUNS [CLIENTS [SECONDS]]] [--db URL] [--instances N]
//!
//! The store: RUNS runs, of which all but a few thousand ended: the order fulfilled, from the
//! customer's request through review, the general manager's signature, payment and
//! production to transport (nine events each: 112,000 runs hold a million events).
//! Open: 100 at the general manager's signature (the GM user's My work), 100 at the review
//! (CS), and one pool at `cancel` (CS) for the completion phase to sign, one step per
//! request.
//!
//! `--db` names the store as `procdoc serve --db` takes it: without it, an SQLite file in a
//! temporary folder; with a PostgreSQL URL, that database, which must be empty (procdoc
//! creates its tables; drop and create the database again between runs). `--instances 2`
//! starts two servers on the one store and spreads the clients over them, as two instances
//! behind a reverse proxy are used.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;

use procdoc::app::users::{self, AddUser};
use procdoc::run::accounts::Role;
use procdoc::run::clock;
use procdoc::run::completion::DoneRequest;
use procdoc::run::engine::{self, Snapshot, StartRequest};
use procdoc::run::store::{AnyStore, Store};

const PASSWORD: &str = "bench passphrase 1";
const OPEN_GM: usize = 100;
const OPEN_CS: usize = 100;
/// Users who sign in the completion phase, one after the other.
const SIGNERS: usize = 50;
/// Runs written per transaction while the store is filled.
const FILL_BATCH: usize = 1000;

#[path = "../tests/common/files.rs"]
mod files;
#[path = "common/size.rs"]
mod size;
use files::copy_dir;
use size::size;

/// Where each kind of run of the store stops.
#[derive(Clone, Copy)]
enum Stop {
    Ended,
    AtGm,
    AtReview,
    AtCancel,
}

fn done(step: &str, by: &str) -> DoneRequest {
    DoneRequest {
        step: step.into(),
        by: by.into(),
        ..Default::default()
    }
}

/// The completions that bring a new run of the contract flow to `stop`.
fn path_to(stop: Stop) -> Vec<DoneRequest> {
    let review = |outcome: &str| DoneRequest {
        outcome: Some(outcome.into()),
        check: Some("all".into()),
        fields: vec![
            "contract-review.customer=ACME Moulds".into(),
            "quotation.customer=ACME Moulds".into(),
        ],
        ..done("review", "Li Ming")
    };
    let request = DoneRequest {
        acting_for: Some("CUST".into()),
        ..done("request", "Li Ming")
    };
    match stop {
        Stop::AtReview => vec![request],
        Stop::AtGm => vec![request, review("Order can be fulfilled")],
        Stop::AtCancel => vec![request, review("Order cannot be fulfilled")],
        Stop::Ended => vec![
            request,
            review("Order can be fulfilled"),
            done("gm-sign", "Wang Wei"),
            done("inform", "Li Ming"),
            DoneRequest {
                acting_for: Some("CUST".into()),
                ..done("payment", "Li Ming")
            },
            done("production", "Zhao Gang"),
            DoneRequest {
                fields: vec![
                    "delivery-list.contract_no=HT-2026-001".into(),
                    "delivery-list.customer=ACME Moulds".into(),
                    "delivery-list.quantity=2".into(),
                ],
                ..done("delivery-list", "Li Ming")
            },
            done("transport", "Chen Jun"),
        ],
    }
}

struct Seeded {
    dir: PathBuf,
    qms: PathBuf,
    /// The store as `--db` names it: a path, or a PostgreSQL URL.
    db: PathBuf,
    /// Session cookies of `gm` (staff of GM) and `cs` (staff of CS), and `cs`'s API token.
    gm_cookie: String,
    cs_cookie: String,
    cs_token: String,
    /// API tokens of the [`SIGNERS`] users of CS who sign in the completion phase.
    signers: Vec<String>,
    ended: Vec<String>,
    pool: Vec<String>,
}

/// Fills the store through the engine, [`FILL_BATCH`] runs a transaction, and adds the users.
fn seed(runs: usize, pool: usize, db: Option<&str>) -> Seeded {
    let dir = std::env::temp_dir().join(format!("procdoc-serve-bench-{}", std::process::id()));
    let qms = dir.join("red-maple");
    copy_dir(Path::new("specs/red-maple"), &qms);
    let db = db.map_or_else(|| dir.join("runs.sqlite"), PathBuf::from);
    let (loaded, _) = procdoc::spec::load::load(&qms).expect("red-maple loads");
    let settings = loaded.settings.clone().expect("settings");
    let snapshot = Snapshot::take(&loaded, &settings, "CS-P-001").expect("snapshot");
    let known: Vec<String> = settings
        .departments
        .iter()
        .map(|d| d.code.clone())
        .collect();
    let now = clock::system_now();
    let mut store = AnyStore::create(&db).expect("database");
    let mut add = |login: &str, dept: &str| {
        users::add_user(
            &mut store,
            &known,
            AddUser {
                login: login.into(),
                name: format!("Bench {login}"),
                departments: vec![dept.into()],
                role: Role::Staff,
                password: Some(PASSWORD.into()),
            },
            now,
        )
        .expect("add user")
    };
    let (gm, cs) = (add("gm", "GM"), add("cs", "CS"));
    let signer_logins: Vec<String> = (0..SIGNERS).map(|k| format!("cs{k}")).collect();
    for login in &signer_logins {
        add(login, "CS");
    }
    let gm_cookie = users::open_session(&mut store, &gm, now).expect("session");
    let cs_cookie = users::open_session(&mut store, &cs, now).expect("session");
    let cs_token = users::create_token(&mut store, "cs", now).expect("token");
    let signers = signer_logins
        .iter()
        .map(|login| users::create_token(&mut store, login, now).expect("token"))
        .collect();

    let fill = Instant::now();
    let (mut ended, mut pooled) = (Vec::new(), Vec::new());
    let bar = indicatif::ProgressBar::new(runs as u64);
    store.begin(true).expect("begin");
    let mut notes = Vec::new();
    let at = now - chrono::Duration::days(30);
    for i in 0..runs {
        let stop = match i {
            i if i < OPEN_GM => Stop::AtGm,
            i if i < OPEN_GM + OPEN_CS => Stop::AtReview,
            i if i < OPEN_GM + OPEN_CS + pool => Stop::AtCancel,
            _ => Stop::Ended,
        };
        let reference = format!("SO-{i}");
        let request = StartRequest {
            doc: "CS-P-001".into(),
            flow: Some("contract".into()),
            reference: reference.clone(),
            by: Some("Li Ming".into()),
            at,
            plan: Vec::new(),
            trigger: None,
            item: None,
            period: None,
            calls_into: Vec::new(),
        };
        let mut live =
            engine::start(&mut store, snapshot.clone(), &request, &mut notes).expect("start");
        for (k, step) in path_to(stop).iter().enumerate() {
            let when = at + chrono::Duration::minutes(10 * (k as i64 + 1));
            engine::complete(&mut store, &mut live, step, when, &mut notes).expect("complete");
        }
        match stop {
            Stop::Ended => ended.push(reference),
            Stop::AtCancel => pooled.push(reference),
            _ => {}
        }
        bar.inc(1);
        // A transaction per thousand runs: PostgreSQL keeps every version of the store
        // head's row that one transaction writes, so one transaction for the whole fill
        // would make each event slower than the last.
        if i % FILL_BATCH == FILL_BATCH - 1 {
            store.commit().expect("commit");
            store.begin(true).expect("begin");
        }
    }
    store.commit().expect("commit");
    bar.finish_and_clear();
    let events = store.head().expect("head").map_or(0, |h| h.count);
    drop(store);
    eprintln!(
        "filled {runs} runs, {events} events in {:.1} s; database {:.0} MB",
        fill.elapsed().as_secs_f64(),
        size(&db) as f64 / 1e6
    );
    Seeded {
        dir,
        qms,
        db,
        gm_cookie,
        cs_cookie,
        cs_token,
        signers,
        ended,
        pool: pooled,
    }
}

/// The release binary next to this example.
fn procdoc_exe() -> PathBuf {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("procdoc")))
        .filter(|e| e.is_file());
    exe.expect("build the server first: cargo build --release --bin procdoc")
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(seeded: &Seeded, port: u16) -> Server {
    let child = Command::new(procdoc_exe())
        .arg("serve")
        .arg(&seeded.qms)
        .arg("--db")
        .arg(&seeded.db)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("procdoc serve starts");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// One request as a client sends it.
struct Call {
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: String,
}

/// One kept-alive HTTP/1.1 connection per client, client `k` to `ports[k % ports.len()]`;
/// each sends `next(i)` until `until`. Returns every request's latency; a response other
/// than `expect` stops the benchmark.
async fn load(
    ports: &[u16],
    clients: usize,
    until: Duration,
    expect: u16,
    next: Arc<dyn Fn(usize) -> Option<Call> + Send + Sync>,
) -> (Vec<Duration>, Duration) {
    let counter = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..clients {
        let (next, counter) = (Arc::clone(&next), Arc::clone(&counter));
        let port = ports[k % ports.len()];
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .expect("handshake");
            tokio::spawn(conn);
            let mut times = Vec::new();
            while started.elapsed() < until {
                let Some(call) = next(counter.fetch_add(1, Ordering::Relaxed)) else {
                    break;
                };
                let mut request = Request::builder()
                    .method(call.method)
                    .uri(&call.path)
                    .header("host", format!("127.0.0.1:{port}"));
                for (name, value) in &call.headers {
                    request = request.header(*name, value);
                }
                let request = request
                    .body(Full::new(Bytes::from(call.body)))
                    .expect("request");
                let t = Instant::now();
                let response = sender.send_request(request).await.expect("response");
                let status = response.status().as_u16();
                let body = response.into_body().collect().await.expect("body");
                times.push(t.elapsed());
                assert_eq!(
                    status,
                    expect,
                    "{}: {}",
                    call.path,
                    String::from_utf8_lossy(&body.to_bytes())
                );
            }
            times
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("client"));
    }
    (all, started.elapsed())
}

fn report(name: &str, mut times: Vec<Duration>, took: Duration) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: usize| times[(times.len() * q / 100).min(times.len() - 1)];
    eprintln!(
        "{name:<28} n={:<6} p50 {:>7.2} ms   p95 {:>7.2} ms   max {:>7.2} ms   {:>7.1} req/s",
        times.len(),
        ms(at(50)),
        ms(at(95)),
        ms(times[times.len() - 1]),
        times.len() as f64 / took.as_secs_f64()
    );
}

/// The command line: up to three numbers (runs, clients, seconds a phase), `--db URL` and
/// `--instances N`.
struct Args {
    numbers: Vec<usize>,
    db: Option<String>,
    instances: usize,
}

fn args() -> Args {
    let mut parsed = Args {
        numbers: Vec::new(),
        db: None,
        instances: 1,
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        match arg.as_str() {
            "--db" => parsed.db = Some(given.next().expect("--db takes a URL or a path")),
            "--instances" => {
                parsed.instances = given
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .expect("--instances takes a number, 1 or more")
            }
            number => parsed.numbers.push(
                number
                    .parse()
                    .expect("RUNS, CLIENTS and SECONDS are numbers"),
            ),
        }
    }
    parsed
}

fn main() {
    let args = args();
    let arg = |n: usize, default: usize| args.numbers.get(n).copied().unwrap_or(default);
    let (runs, clients, seconds) = (arg(0, 100_000), arg(1, 50), arg(2, 15));
    let pool = 4000.min(runs / 4);
    let seeded = seed(
        runs.max(OPEN_GM + OPEN_CS + pool + 1),
        pool,
        args.db.as_deref(),
    );
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    };
    let ports: Vec<u16> = (0..args.instances).map(|_| free_port()).collect();
    let servers: Vec<Server> = ports.iter().map(|&port| serve(&seeded, port)).collect();
    let until = Duration::from_secs(seconds as u64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    eprintln!(
        "{clients} clients, {seconds} s a phase, {} instance(s) on 127.0.0.1 ports {ports:?}",
        ports.len()
    );

    let cookie = |c: &str| vec![("cookie", format!("procdoc_session={c}"))];
    let get = |path: String, headers: Vec<(&'static str, String)>| Call {
        method: Method::GET,
        path,
        headers,
        body: String::new(),
    };
    let gm = cookie(&seeded.gm_cookie);
    let inbox: Arc<dyn Fn(usize) -> Option<Call> + Send + Sync> =
        Arc::new(move |_| Some(get("/".into(), gm.clone())));
    let (times, took) = runtime.block_on(load(&ports, clients, until, 200, inbox));
    report(&format!("My work ({OPEN_GM} steps)"), times, took);

    let (cs, ended) = (cookie(&seeded.cs_cookie), seeded.ended.clone());
    let page: Arc<dyn Fn(usize) -> Option<Call> + Send + Sync> = Arc::new(move |i| {
        // Spread over the whole store, so that no one page is served from a warm cache.
        let reference = &ended[(i * 7919) % ended.len()];
        Some(get(format!("/runs/{reference}"), cs.clone()))
    });
    let (times, took) = runtime.block_on(load(&ports, clients, until, 200, page));
    report("run page", times, took);

    let (signers, pool) = (seeded.signers.clone(), seeded.pool.clone());
    let body = format!(r#"{{"password": "{PASSWORD}"}}"#);
    let sign: Arc<dyn Fn(usize) -> Option<Call> + Send + Sync> = Arc::new(move |i| {
        let reference = pool.get(i)?;
        let token = &signers[i % signers.len()];
        Some(Call {
            method: Method::POST,
            path: format!("/api/runs/{reference}/steps/cancel"),
            headers: vec![
                ("authorization", format!("Bearer {token}")),
                ("content-type", "application/json".into()),
            ],
            body: body.clone(),
        })
    });
    let (times, took) = runtime.block_on(load(&ports, clients, until, 200, sign));
    report("step completion (API)", times, took);

    // One client, kept alive, against whole processes of `procdoc run show`.
    let (token, ended) = (seeded.cs_token.clone(), seeded.ended.clone());
    let show: Arc<dyn Fn(usize) -> Option<Call> + Send + Sync> = Arc::new(move |i| {
        let reference = ended.get(i * 31)?;
        Some(get(
            format!("/api/runs/{reference}"),
            vec![("authorization", format!("Bearer {token}"))],
        ))
    });
    let (api, took) = runtime.block_on(load(&ports[..1], 1, Duration::from_secs(5), 200, show));
    let api_median = median(api.clone());
    report("GET /api/runs/REF, 1 client", api, took);
    drop(servers);
    let mut process = Vec::new();
    for reference in seeded.ended.iter().step_by(3331).take(30) {
        let t = Instant::now();
        let status = Command::new(procdoc_exe())
            .args(["run", "show", reference, "--format", "json", "--qms"])
            .arg(&seeded.qms)
            .arg("--db")
            .arg(&seeded.db)
            .stdout(Stdio::null())
            .status()
            .expect("procdoc runs");
        assert!(status.success());
        process.push(t.elapsed());
    }
    let process_median = median(process.clone());
    report("procdoc run show process", process, Duration::from_secs(1));
    eprintln!(
        "one API read costs {:.3} of a `run show` process (medians)",
        api_median.as_secs_f64() / process_median.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&seeded.dir);
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}
