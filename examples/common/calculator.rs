//! The articles' StreamJsonRpc `ICalculator { Task<int> Add(int a, int b); }` as JSON-RPC 2.0
//! over header-delimited framing (`Content-Length: N\r\n\r\n`, pipeframe's `ContentLength`),
//! what `JsonRpc.Attach(stream, new CalculatorService())` speaks by default.
//!
//! The method name is `Add`: StreamJsonRpc names a method after the CLR method (no Async suffix
//! is involved here), and its proxies (`jsonRpc.Attach<ICalculator>()`) send the arguments by
//! position (`"params": [5, 3]`). Named arguments (`{"a": 5, "b": 3}`) are accepted too.
#![allow(dead_code, unreachable_pub)]

use std::io;

use pipeframe::codec::ContentLength;
use pipeframe::tokio::{AsyncFrameReader, AsyncFrameWriter};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};

/// The method StreamJsonRpc exposes for `ICalculator.Add`.
pub const METHOD: &str = "Add";

fn error(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// Answers one request (`None` for a notification, which gets no answer).
pub fn answer(request: &Value) -> Option<Value> {
    let id = request.get("id")?.clone();
    if request.get("method").and_then(Value::as_str) != Some(METHOD) {
        return Some(error(&id, -32601, "method not found"));
    }
    let params = request.get("params");
    let (a, b) = match params {
        Some(Value::Array(p)) if p.len() == 2 => (p[0].as_i64(), p[1].as_i64()),
        Some(Value::Object(p)) => (
            p.get("a").and_then(Value::as_i64),
            p.get("b").and_then(Value::as_i64),
        ),
        _ => (None, None),
    };
    let (Some(a), Some(b)) = (a, b) else {
        return Some(error(
            &id,
            -32602,
            "expected params [a, b] or {\"a\", \"b\"}, integers",
        ));
    };
    // C# int arithmetic: wraps at 32 bits.
    let sum = (a as i32).wrapping_add(b as i32);
    Some(json!({"jsonrpc": "2.0", "id": id, "result": sum}))
}

/// Serves one connection until the peer closes it.
pub async fn serve_connection<IO>(io: IO) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let (rx, tx) = tokio::io::split(io);
    let mut reader = AsyncFrameReader::new(rx, ContentLength::new());
    let mut writer = AsyncFrameWriter::new(tx, ContentLength::new());
    while let Some(frame) = reader.read_frame().await? {
        let reply = match serde_json::from_slice::<Value>(&frame) {
            Ok(request) => answer(&request),
            Err(_) => Some(error(&Value::Null, -32700, "parse error")),
        };
        if let Some(reply) = reply {
            writer.write_frame(reply.to_string().as_bytes()).await?;
            writer.flush().await?;
        }
    }
    Ok(())
}

/// Calls `Add(a, b)` on a connected server and returns the result.
pub async fn add<IO>(io: IO, a: i32, b: i32) -> io::Result<i64>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let (rx, tx) = tokio::io::split(io);
    let mut reader = AsyncFrameReader::new(rx, ContentLength::new());
    let mut writer = AsyncFrameWriter::new(tx, ContentLength::new());
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": METHOD, "params": [a, b]});
    writer.write_frame(request.to_string().as_bytes()).await?;
    writer.flush().await?;
    let bad = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
    loop {
        let frame = reader
            .read_frame()
            .await?
            .ok_or_else(|| bad("the server closed before answering".into()))?;
        let reply: Value = serde_json::from_slice(&frame).map_err(|e| bad(e.to_string()))?;
        if reply.get("id") != Some(&json!(1)) {
            continue; // a notification or another id: not our answer
        }
        if let Some(e) = reply.get("error") {
            return Err(bad(format!("server error: {e}")));
        }
        return reply
            .get("result")
            .and_then(Value::as_i64)
            .ok_or_else(|| bad(format!("no integer result in {reply}")));
    }
}
