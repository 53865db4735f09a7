//! Under `panic = "abort"`, on a tokio runtime built without `enable_time`: a connect that
//! must wait for its server waits and connects, and one whose server never comes times out
//! with an error naming the pipe. A panic anywhere (tokio's "timer disabled" included) would
//! abort the process, so a clean exit is the check.

use std::io;
use std::time::Duration;

use pipeframe::named::{PipeName, tokio as named};

fn main() -> io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let name = PipeName::new(&format!("pipeframe-abort-{}", std::process::id()))?;
    rt.block_on(async {
        let e = named::connect_timeout(&name, Duration::from_millis(50))
            .await
            .expect_err("nobody serves the pipe yet");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
        assert!(e.to_string().contains(&name.to_string()), "{e}");

        let connecting = tokio::spawn({
            let name = name.clone();
            async move { named::connect_timeout(&name, Duration::from_secs(30)).await }
        });
        // The client is waiting (it failed once above, and retries on pipeframe's timer).
        tokio::task::yield_now().await;
        let listener = named::Listener::bind(&name)?;
        let (server, client) = tokio::join!(listener.accept(), connecting);
        server?;
        client.expect("the connect task")?;
        println!("ok: waited and timed out without tokio's timer, under panic = \"abort\"");
        Ok(())
    })
}
