use clap::Parser;

use caliber_relay::{Config, Relay};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    let result = match Relay::open(&config).await {
        Ok(relay) => relay.run(&config).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            caliber_core::log_line!("caliber-relay: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
