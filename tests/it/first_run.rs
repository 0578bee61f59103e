//! Issue 13, items 13 and 16–18: what a partner and a new installer meet first — the apply page
//! outside the application window, the demo's own data folder, the admin of an install started
//! with `user add`, and start-up errors that say what to do.

use crate::support::app::{self, PROGRAM};
use crate::support::root;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary with a clean environment, the shipped workflows, run in `cwd`.
fn seminarflow(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seminarflow"));
    cmd.current_dir(cwd)
        .env("SEMINARFLOW_WORKFLOWS", root().join("workflows"))
        .stdin(Stdio::null());
    for var in [
        "DATABASE_URL",
        "SEMINARFLOW_DATABASE",
        "SEMINARFLOW_CONFIG",
        "SEMINARFLOW_DATA_DIR",
        "SEMINARFLOW_LISTEN",
        "SEMINARFLOW_BASE_URL",
        "SEMINARFLOW_SMTP_HOST",
        "SEMINARFLOW_LOG_JSON",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs a command that should stop by itself; one still running after a minute (a server that
/// started instead of refusing) is killed and fails the test.
fn within_a_minute(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("still running after a minute: {}", text(&out.stdout));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// `user add` of a coordinator with a password from standard input.
fn add_coordinator(cwd: &Path, data_dir: &Path, email: &str) -> Output {
    use std::io::Write;
    let mut child = seminarflow(cwd)
        .args(["user", "add", "--role", "coordinator", "--email", email])
        .arg("--password-stdin")
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"coordinator-password-2017\n")
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Which cells of `city`'s row on the apply page say what (`data-week` → text).
fn row_cells(html: &str, city: &str) -> Vec<String> {
    let start = html
        .find(&format!("<tr data-city=\"{city}\""))
        .unwrap_or_else(|| panic!("no row for {city}: {html}"));
    let row = &html[start..start + html[start..].find("</tr>").unwrap()];
    row.split("<td ")
        .skip(1)
        .map(|c| c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()].to_string())
        .collect()
}

#[tokio::test]
async fn the_apply_page_after_the_window_offers_no_form_and_shows_past_weeks_as_past() {
    let app = app::spawn().await;
    let (_, partner) = app::approved_seminar(&app).await;
    // While the window is open: the form.
    let open = partner.get("/my/apply").await.expect(200).text();
    assert!(open.contains("action=\"/my/apply\""), "{open}");
    assert!(!open.contains("id=\"window-closed\""), "{open}");

    // 2017-04-04: applications closed on 2017-02-10; the first seminar week is over.
    app.set_clock("2017-04-04T12:00:00+03:00").await;
    let html = partner
        .get(&format!(
            "/my/apply?program={PROGRAM}&city=%D0%9A%D0%B0%D0%B7%D0%B0%D0%BD%D1%8C"
        ))
        .await
        .expect(200)
        .text();
    assert!(
        !html.contains("action=\"/my/apply\""),
        "no form that will only be refused: {html}"
    );
    assert!(
        html.contains("id=\"window-closed\"") && html.contains("Приём заявок закрыт"),
        "{html}"
    );
    assert!(
        html.contains("10.02.2017") || html.contains("10 февраля"),
        "{html}"
    );
    for city in ["Тула", "Казань"] {
        let cells = row_cells(&html, city);
        assert_eq!(cells.len(), 2, "{city}: {cells:?}");
        assert_eq!(
            cells[0], "прошла",
            "{city}: the first week is over: {cells:?}"
        );
        assert_ne!(
            cells[1], "прошла",
            "{city}: the second week is on: {cells:?}"
        );
    }
    assert_eq!(row_cells(&html, "Казань")[1], "свободна");
    assert!(
        !html.contains("свободны во все недели") && !html.contains("в обе недели"),
        "unlisted cities are not free in a past week: {html}"
    );
}

#[tokio::test]
async fn the_apply_page_before_the_window_says_when_it_opens() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    let partner = app
        .user(
            &admin,
            "partner",
            "ivan@pa.example",
            Some("pa"),
            Some("main"),
        )
        .await;
    // The test clock starts on 2017-01-01; the window opens on 2017-01-23.
    let html = partner.get("/my/apply").await.expect(200).text();
    assert!(!html.contains("action=\"/my/apply\""), "{html}");
    assert!(
        html.contains("id=\"window-closed\"") && html.contains("откроется"),
        "{html}"
    );
}

#[test]
fn a_bad_field_of_a_scenario_step_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(
        &file,
        "workflow = \"bitrix24-seminars-2017-spring\"\n\
         until = \"2017-04-20T00:00:00+03:00\"\n\
         \n\
         [[partners]]\n\
         id = \"p1\"\n\
         \n\
         [[steps]]\n\
         at = \"2017-01-24T10:00:00+03:00\"\n\
         do = \"apply\"\n\
         partner = \"p1\"\n\
         seminar = \"s1\"\n\
         city = \"Тула\"\n\
         date = \"29 марта\"\n",
    )
    .unwrap();
    let out = seminarflow(dir.path())
        .arg("simulate")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("шаг 0") && err.contains("строка 13") && err.contains("«date»"),
        "the step, the file line of its field and the field: {err}"
    );
    // A missing field: the line of its step's header.
    std::fs::write(
        &file,
        "workflow = \"bitrix24-seminars-2017-spring\"\n\
         until = \"2017-04-20T00:00:00+03:00\"\n\
         [[partners]]\n\
         id = \"p1\"\n\
         [[steps]]\n\
         at = \"2017-01-24T10:00:00+03:00\"\n\
         do = \"approve_application\"\n",
    )
    .unwrap();
    let out = seminarflow(dir.path())
        .arg("simulate")
        .arg(&file)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(
        err.contains("строка 5") && err.contains("«seminar»"),
        "{err}"
    );
}

#[test]
fn user_add_before_the_first_serve_creates_the_admin_and_prints_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = add_coordinator(dir.path(), &data, "anna@coord.example");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("admin@seminarflow.local") && stdout.contains("Одноразовый пароль"),
        "{stdout}"
    );
    // Once: an admin now exists.
    let out = add_coordinator(dir.path(), &data, "boris@coord.example");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(!stdout.contains("admin@seminarflow.local"), "{stdout}");
}

#[test]
fn the_readme_documents_user_add_with_the_admin_role() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("user add --role admin"), "README");
}

#[test]
fn serve_demo_without_a_data_dir_uses_its_own_folder_not_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = seminarflow(dir.path())
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let db = dir.path().join("data-demo").join("seminarflow.db");
    let started = Instant::now();
    while !db.exists() && started.elapsed() < Duration::from_secs(60) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("serve --demo stopped: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(db.exists(), "the demo's database is in ./data-demo");
    assert!(
        !dir.path().join("data").exists(),
        "the demo does not touch ./data"
    );
}

#[test]
fn serve_demo_refuses_a_data_dir_with_real_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("real");
    assert!(add_coordinator(dir.path(), &data, "anna@coord.example")
        .status
        .success());
    let out = within_a_minute(
        seminarflow(dir.path())
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data),
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("рабочие данные")
            && err.contains("anna@coord.example")
            && err.contains("--data-dir"),
        "says what is there and what to do: {err}"
    );
}

#[test]
fn a_busy_port_says_to_stop_the_other_process_or_choose_another_address() {
    let dir = tempfile::tempdir().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = within_a_minute(seminarflow(dir.path()).args([
        "serve",
        "--listen",
        &addr,
        "--data-dir",
        "data",
    ]));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("занят другим процессом") && err.contains("--listen 127.0.0.1:"),
        "{err}"
    );
}

#[test]
fn an_unusable_data_dir_is_named_with_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be: fails even for root, unlike permissions.
    std::fs::write(dir.path().join("blocked"), b"").unwrap();
    let out = within_a_minute(seminarflow(dir.path()).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        "blocked/data",
    ]));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("blocked/data") && err.contains("--data-dir"),
        "{err}"
    );
}
