use anyhow::Context;
use clap::{Parser, Subcommand};
use touchpoints::config::Settings;
use touchpoints::startup::Application;
use touchpoints::{db, demo, openapi, telemetry};

/// touchpoints: registers of client touchpoints (перечни точек взаимодействия с клиентом).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database (creating it if needed) and serve the API on TOUCHPOINTS_BIND.
    Serve {
        /// Also load the demo registers when the database holds no agency yet.
        #[arg(long)]
        demo: bool,
    },
    /// Create the database if needed and apply pending migrations.
    Migrate,
    /// Load the demo registers (the seeds' МЧС РД and Агентство информации и печати РД);
    /// agencies already present are skipped.
    Demo,
    /// Print the OpenAPI document (what `/api-docs/openapi.json` serves).
    Openapi,
    /// Generate the benchmark's data set (skipped when the region already has it).
    #[cfg(feature = "bench")]
    BenchData {
        #[arg(long, default_value_t = 1000)]
        agencies: usize,
        #[arg(long, default_value_t = 50)]
        processes: usize,
        #[arg(long, default_value_t = 4)]
        points: usize,
        #[arg(long, default_value = "Нагрузочный регион")]
        region: String,
        /// Versions to publish per agency (2 or more: version 1 is archived).
        #[arg(long, default_value_t = 1)]
        versions: usize,
    },
    /// Print development tokens for every agency in the database (admin; submitter, approver
    /// and publisher of each top-level agency), signed with TOUCHPOINTS_JWT_SECRET.
    DemoTokens {
        /// Validity in hours.
        #[arg(long, default_value_t = 12)]
        hours: i64,
    },
    /// Mint a development token signed with TOUCHPOINTS_JWT_SECRET, to try the API from Swagger UI.
    Token {
        /// User id.
        #[arg(long)]
        sub: String,
        /// Display name shown in the history.
        #[arg(long, default_value = "")]
        name: String,
        /// Role: submitter, approver, publisher or admin (repeat for several).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The agency (or subordinate organization) id; omit only for admin.
        #[arg(long)]
        agency: Option<uuid::Uuid>,
        /// The unit id, for a submitter restricted to one unit.
        #[arg(long)]
        unit: Option<uuid::Uuid>,
        /// Validity in hours.
        #[arg(long, default_value_t = 12)]
        hours: i64,
    },
}

fn migrate(settings: &Settings) -> anyhow::Result<diesel::PgConnection> {
    use diesel::Connection;
    let url = settings.database_url.expose();
    db::create_database_if_missing(url)?;
    let mut conn = diesel::PgConnection::establish(url)
        .with_context(|| format!("cannot connect to {:?}", settings.database_url))?;
    let n = db::run_migrations(&mut conn)?;
    tracing::info!(applied = n, "migrations up to date");
    Ok(conn)
}

fn load_demo(conn: &mut diesel::PgConnection) -> anyhow::Result<()> {
    let r = demo::load(conn)?;
    tracing::info!(
        agencies = r.agencies_created,
        skipped = r.agencies_skipped,
        processes = r.processes,
        touchpoints = r.touchpoints,
        merged_r7 = r.merged,
        "demo registers loaded"
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", openapi::spec_json());
        return Ok(());
    }
    if let Command::Token {
        sub,
        name,
        roles,
        agency,
        unit,
        hours,
    } = &cli.command
    {
        let roles = roles
            .iter()
            .map(|r| {
                serde_json::from_value(serde_json::Value::String(r.clone())).map_err(|_| {
                    anyhow::anyhow!("unknown role {r:?}: submitter, approver, publisher or admin")
                })
            })
            .collect::<anyhow::Result<Vec<touchpoints::auth::Role>>>()?;
        let secret = std::env::var("TOUCHPOINTS_JWT_SECRET")
            .context("set TOUCHPOINTS_JWT_SECRET (the one the server uses)")?;
        let max_ttl = std::env::var("TOUCHPOINTS_JWT_MAX_TTL_S")
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(touchpoints::auth::token::DEFAULT_MAX_TTL_S);
        if hours * 3600 > max_ttl {
            eprintln!("warning: the server refuses tokens that live longer than TOUCHPOINTS_JWT_MAX_TTL_S={max_ttl} s; ask for fewer --hours");
        }
        if name.is_empty() {
            eprintln!("note: without --name the history shows this user's id ({sub}) only");
        }
        println!(
            "{}",
            touchpoints::auth::dev::mint(&secret, sub, name, roles, *agency, *unit, *hours)?
        );
        return Ok(());
    }
    // `serve --demo` with no way to verify tokens: a secret for this run, shown once below,
    // so the demo can be tried at once (docker compose's default); never without --demo
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let generated = match &cli.command {
        Command::Serve { demo: true }
            if var("TOUCHPOINTS_JWT_SECRET").is_none()
                && var("TOUCHPOINTS_JWT_PUBLIC_KEY").is_none() =>
        {
            let secret = touchpoints::auth::dev::generated_secret();
            // still single-threaded here: nothing reads the environment concurrently
            std::env::set_var("TOUCHPOINTS_JWT_SECRET", &secret);
            Some(secret)
        }
        _ => None,
    };
    telemetry::init();
    let settings = Settings::from_env()?;
    match cli.command {
        Command::Migrate => {
            migrate(&settings)?;
        }
        Command::Demo => {
            let mut conn = migrate(&settings)?;
            load_demo(&mut conn)?;
        }
        Command::DemoTokens { hours } => {
            let secret = var("TOUCHPOINTS_JWT_SECRET")
                .context("set TOUCHPOINTS_JWT_SECRET (the one the server uses)")?;
            let mut conn = migrate(&settings)?;
            print!(
                "{}",
                touchpoints::auth::dev::demo_tokens(&mut conn, &secret, hours)?
            );
        }
        Command::Serve { demo: with_demo } => {
            tracing::info!(?settings, "starting");
            let mut conn = migrate(&settings)?;
            if with_demo && demo::database_is_empty(&mut conn)? {
                load_demo(&mut conn)?;
            }
            if let Some(secret) = &generated {
                let tokens = touchpoints::auth::dev::demo_tokens(&mut conn, secret, 12)?;
                tracing::warn!("TOUCHPOINTS_JWT_SECRET is not set: --demo generated a secret for this run only (set the variable to keep tokens valid across restarts)");
                println!(
                    "\nDevelopment secret of this run (shown once): {secret}\n\
                     Tokens for Swagger UI's Authorize (12 h):\n{tokens}\n\
                     More: TOUCHPOINTS_JWT_SECRET={secret} touchpoints token --sub <id> --name \"<Фамилия И.О.>\" --role <role> --agency <uuid>\n"
                );
            }
            drop(conn);
            actix_web::rt::System::new().block_on(async {
                let app = Application::build(&settings)?;
                tracing::info!(port = app.port(), "listening; Swagger UI at /swagger-ui/");
                app.run_until_stopped().await?;
                tracing::info!("stopped");
                anyhow::Ok(())
            })?;
        }
        #[cfg(feature = "bench")]
        Command::BenchData {
            agencies,
            processes,
            points,
            region,
            versions,
        } => {
            let mut conn = migrate(&settings)?;
            let started = std::time::Instant::now();
            let n = touchpoints::bench::generate(
                &mut conn,
                &touchpoints::bench::Shape {
                    agencies,
                    processes,
                    points,
                    region,
                    versions,
                },
            )?;
            tracing::info!(
                created = n,
                seconds = started.elapsed().as_secs_f64(),
                "bench data ready"
            );
        }
        Command::Openapi | Command::Token { .. } => unreachable!("handled above"),
    }
    Ok(())
}
