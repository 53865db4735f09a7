#!/usr/bin/env escript
%%! -noinput -kernel logger_level none
%% An Erlang port on the process's own stdin/stdout, for tests/interop_erlang.rs:
%% open_port({fd, 0, 1}, [{packet, N}, binary, eof]).
%%
%%   erl_port.escript N SIZE...
%%
%% First sends one packet of each SIZE of its own (byte I of packet K = (I + K) rem 251), then
%% answers every packet it receives with <<Len:32, Crc32:32>> and the packet itself; halts at
%% end of input.
-mode(compile).

main([N | Sizes]) ->
    Port = open_port({fd, 0, 1}, [{packet, list_to_integer(N)}, binary, eof]),
    send_own(Port, [list_to_integer(S) || S <- Sizes], 0),
    loop(Port).

send_own(_Port, [], _K) -> ok;
send_own(Port, [Size | Rest], K) ->
    port_command(Port, pattern(Size, K)),
    send_own(Port, Rest, K + 1).

pattern(Size, K) ->
    Base = list_to_binary(lists:seq(0, 250)),
    Reps = binary:copy(Base, Size div 251 + 2),
    binary:part(Reps, K rem 251, Size).

loop(Port) ->
    receive
        {Port, {data, Data}} ->
            port_command(Port, <<(byte_size(Data)):32, (erlang:crc32(Data)):32>>),
            port_command(Port, Data),
            loop(Port);
        {Port, eof} ->
            halt(0)
    end.
