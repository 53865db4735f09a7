//! The Greeter service of helloworld.proto: `SayHello { name }` -> `"Hello " + name`.
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};

use pipeframe::transport::PipeConnectInfo;
use tonic::{Request, Response, Status};

use super::helloworld::greeter_server::Greeter;
use super::helloworld::{HelloReply, HelloRequest};

/// Answers every `SayHello`, remembering who called last (pipe peers only).
#[derive(Debug, Default, Clone)]
pub struct MyGreeter {
    /// The last caller's connection info.
    pub last_peer: Arc<Mutex<Option<PipeConnectInfo>>>,
}

#[tonic::async_trait]
impl Greeter for MyGreeter {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        // Over a pipe, tonic puts the connection's PipeConnectInfo in every request.
        if let Some(info) = request.extensions().get::<PipeConnectInfo>() {
            *self.last_peer.lock().unwrap() = Some(info.clone());
        }
        let name = request.into_inner().name;
        Ok(Response::new(HelloReply {
            message: format!("Hello {name}"),
        }))
    }
}
