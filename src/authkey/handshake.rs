//! The handshake as a state machine over whole messages, without I/O: every driver (a byte
//! stream with Python's length prefix, a message transport, blocking or async) runs this one.

use super::{AuthError, AuthKey, Digest, Side};

/// The first message of a challenge.
pub const CHALLENGE: &[u8] = b"#CHALLENGE#";
/// The answer to a correct digest.
pub const WELCOME: &[u8] = b"#WELCOME#";
/// The answer to a wrong digest.
pub const FAILURE: &[u8] = b"#FAILURE#";
/// The longest handshake message `multiprocessing.connection` reads (`recv_bytes(256)`).
pub const MAX_MESSAGE: usize = 256;

/// Which end of the connection this process is: it decides the order of the two halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `Listener.accept`: challenges first, then answers.
    Server,
    /// `Client`: answers first, then challenges.
    Client,
}

/// What a completed handshake settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated {
    /// The digest of the peer's challenge, which this process answered.
    pub answered: Digest,
    /// The digest the peer answered our challenge with.
    pub verified: Digest,
}

#[derive(Debug)]
enum Step {
    SendChallenge,
    AwaitAnswer,
    SendWelcome,
    AwaitChallenge,
    SendAnswer,
    AwaitVerdict,
    /// We refused the peer's answer: `#FAILURE#` goes out, then the error.
    Refusing(AuthError),
    Done,
}

/// What the driver does next.
#[derive(Debug)]
pub(crate) enum Action {
    /// Send [`Handshake::outgoing`], then call [`Handshake::sent`].
    Send,
    /// Receive one message (at most [`MAX_MESSAGE`] bytes), then call
    /// [`Handshake::received`].
    Receive,
    /// Send [`Handshake::outgoing`] (best effort: the peer may be gone), then fail with the
    /// error.
    Refuse(AuthError),
    /// Authenticated.
    Done(Authenticated),
}

/// One handshake in progress.
#[derive(Debug)]
pub(crate) struct Handshake<'k> {
    key: &'k AuthKey,
    step: Step,
    /// Whether the first half (the server's challenge, the client's answer) is over.
    halfway: bool,
    role: Role,
    /// Our challenge, after `#CHALLENGE#`.
    ours: Vec<u8>,
    /// What [`Action::Send`] sends now.
    out: Vec<u8>,
    answered: Option<Digest>,
    verified: Option<Digest>,
}

impl<'k> Handshake<'k> {
    /// A handshake for `role`; our challenge is drawn now.
    pub(crate) fn new(key: &'k AuthKey, role: Role) -> std::io::Result<Handshake<'k>> {
        key.check()?;
        let ours = key.new_challenge()?;
        let mut hs = Handshake {
            key,
            step: Step::Done,
            halfway: false,
            role,
            ours,
            out: Vec::new(),
            answered: None,
            verified: None,
        };
        hs.start_half(role == Role::Server);
        Ok(hs)
    }

    fn start_half(&mut self, challenge: bool) {
        if challenge {
            self.out = [CHALLENGE, &self.ours].concat();
            self.step = Step::SendChallenge;
        } else {
            self.step = Step::AwaitChallenge;
        }
    }

    fn end_half(&mut self) {
        if self.halfway {
            self.step = Step::Done;
        } else {
            self.halfway = true;
            // The server challenged first, the client answered first.
            self.start_half(self.role == Role::Client);
        }
    }

    /// What to do now.
    pub(crate) fn action(&self) -> Action {
        match &self.step {
            Step::SendChallenge | Step::SendWelcome | Step::SendAnswer => Action::Send,
            Step::AwaitAnswer | Step::AwaitChallenge | Step::AwaitVerdict => Action::Receive,
            Step::Refusing(e) => Action::Refuse(e.clone()),
            Step::Done => Action::Done(Authenticated {
                answered: self.answered.expect("answered before done"),
                verified: self.verified.expect("verified before done"),
            }),
        }
    }

    /// The message to send for [`Action::Send`] or [`Action::Refuse`].
    pub(crate) fn outgoing(&self) -> &[u8] {
        match self.step {
            Step::Refusing(_) => FAILURE,
            _ => &self.out,
        }
    }

    /// The message of the last [`Action::Send`] is out.
    pub(crate) fn sent(&mut self) {
        self.step = match self.step {
            Step::SendChallenge => Step::AwaitAnswer,
            Step::SendAnswer => Step::AwaitVerdict,
            Step::SendWelcome => {
                self.end_half();
                return;
            }
            ref s => unreachable!("sent() in step {s:?}"),
        };
    }

    /// The peer's message, asked for by [`Action::Receive`]. An error ends the handshake
    /// (after the [`Action::Refuse`] the next [`action`](Self::action) may give).
    pub(crate) fn received(&mut self, msg: &[u8]) -> Result<(), AuthError> {
        match self.step {
            Step::AwaitAnswer => match self.key.verify(&self.ours, msg) {
                Ok(d) => {
                    self.verified = Some(d);
                    self.out = WELCOME.to_vec();
                    self.step = Step::SendWelcome;
                }
                // As Python does: every refused answer gets `#FAILURE#`.
                Err(e) => self.step = Step::Refusing(e),
            },
            Step::AwaitChallenge => {
                let Some(challenge) = msg.strip_prefix(CHALLENGE) else {
                    return Err(AuthError::NotAChallenge { len: msg.len() });
                };
                let (answer, d) = self.key.answer(challenge)?;
                self.answered = Some(d);
                self.out = answer;
                self.step = Step::SendAnswer;
            }
            Step::AwaitVerdict => {
                if msg == WELCOME {
                    self.end_half();
                } else if msg == FAILURE {
                    return Err(AuthError::WrongKey {
                        refused_by: Side::Peer,
                        digest: self.answered.expect("answered before the verdict"),
                    });
                } else {
                    return Err(AuthError::UnexpectedReply { len: msg.len() });
                }
            }
            ref s => unreachable!("received() in step {s:?}"),
        }
        Ok(())
    }
}
