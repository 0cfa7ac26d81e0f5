%% The BEAM side of `python -m benchmarks`.
%%
%% Run as:  erl -noshell -pa DIR -run ring main BENCH ARG... REPEAT
%% Each benchmark prints `RESULT key value` lines on stdout that the Python runner
%% parses; the work done is the same as in benchmarks/_livelong.py, step for step.
-module(ring).
-export([main/1]).

main([Bench | Args]) ->
    Nums = [list_to_integer(A) || A <- Args],
    try run(Bench, Nums) of
        Results ->
            [io:format("RESULT ~s ~s~n", [K, fmt(V)]) || {K, V} <- Results],
            halt(0)
    catch
        Class:Reason:Stack ->
            io:format("ERROR ~p:~p~n~p~n", [Class, Reason, Stack]),
            halt(1)
    end.

fmt(V) when is_integer(V) -> integer_to_list(V);
fmt(V) when is_float(V) -> float_to_list(V, [{decimals, 6}, compact]).

now_ns() -> erlang:monotonic_time(nanosecond).

best(Repeat, Fun) -> lists:min([Fun() || _ <- lists:seq(1, Repeat)]).

run("ring", [N, Laps, Repeat]) ->
    [{ring_hop_us, best(Repeat, fun() -> ring(N, Laps) end)}];
run("spawn", [N, Repeat]) ->
    [{spawn_us, best(Repeat, fun() -> spawn_many(N) end)}];
run("idle", [N]) ->
    idle(N);
run("tail", [N]) ->
    tail(N);
run("genserver", [N, Repeat]) ->
    [{call_us, best(Repeat, fun() -> calls(N) end)}];
run("supervisor", [N, Batch, Repeat]) ->
    %% the best run is the one with the most restarts per second
    [{restarts_per_s, lists:max([restarts(N, Batch) || _ <- lists:seq(1, Repeat)])}];
run("call_backlog", [Backlog, BacklogCalls, EmptyCalls, Repeat]) ->
    Runs = [backlog_calls(Backlog, BacklogCalls, EmptyCalls) || _ <- lists:seq(1, Repeat)],
    [{backlog_call_us, lists:min([B || {B, _} <- Runs])},
     {empty_call_us, lists:min([E || {_, E} <- Runs])}];
run("mass_restart", [N, Repeat]) ->
    %% seconds for N and for 4N children; the best run is the fastest
    Small = lists:min([mass_restart(N) || _ <- lists:seq(1, Repeat)]),
    Large = lists:min([mass_restart(4 * N) || _ <- lists:seq(1, Repeat)]),
    [{small_per_s, N / Small}, {large_per_s, 4 * N / Large},
     {small_us, Small * 1.0e6 / N}, {large_us, Large * 1.0e6 / (4 * N)}].

%% --- ring: N processes pass an integer token around Laps times; µs per hop -------
ring(N, Laps) ->
    Main = self(),
    Pids = [spawn(fun() -> ring_wait(Main) end) || _ <- lists:seq(1, N)],
    Nexts = tl(Pids) ++ [hd(Pids)],
    lists:foreach(fun({P, Next}) -> P ! {next, Next} end, lists:zip(Pids, Nexts)),
    wait_n(ready, N),
    Hops = N * Laps,
    T0 = now_ns(),
    hd(Pids) ! Hops,
    receive ring_done -> ok end,
    T1 = now_ns(),
    [P ! stop || P <- Pids],
    (T1 - T0) / 1000 / Hops.

ring_wait(Main) ->
    receive {next, Next} -> Main ! ready, ring_loop(Next, Main) end.

ring_loop(Next, Main) ->
    receive
        0 -> Main ! ring_done, ring_loop(Next, Main);
        T when is_integer(T) -> Next ! T - 1, ring_loop(Next, Main);
        stop -> ok
    end.

wait_n(_, 0) -> ok;
wait_n(Msg, N) -> receive Msg -> wait_n(Msg, N - 1) end.

%% --- spawn: N processes that exit at once; wait for every DOWN; µs per spawn ------
spawn_many(N) ->
    T0 = now_ns(),
    spawn_loop(N),
    wait_down(N),
    T1 = now_ns(),
    (T1 - T0) / 1000 / N.

spawn_loop(0) -> ok;
spawn_loop(N) -> spawn_monitor(fun() -> ok end), spawn_loop(N - 1).

wait_down(0) -> ok;
wait_down(N) -> receive {'DOWN', _, process, _, _} -> wait_down(N - 1) end.

%% --- idle: N processes alive at once, each waiting in receive; bytes per process --
idle(N) ->
    erlang:garbage_collect(),
    Before = erlang:memory(total),
    BeforeProcs = erlang:memory(processes),
    Pids = idle_spawn(N, []),
    wait_waiting(hd(Pids)),
    erlang:garbage_collect(),
    After = erlang:memory(total),
    AfterProcs = erlang:memory(processes),
    {memory, One} = erlang:process_info(hd(Pids), memory),
    Count = erlang:system_info(process_count),
    [P ! stop || P <- Pids],
    [{bytes_per_process, (After - Before) / N},
     {process_bytes_per_process, (AfterProcs - BeforeProcs) / N},
     {process_info_memory, One},
     {process_count, Count}].

idle_spawn(0, Acc) -> Acc;
idle_spawn(N, Acc) -> idle_spawn(N - 1, [spawn(fun idle_loop/0) | Acc]).

idle_loop() -> receive stop -> ok end.

%% the first spawned is the last in Acc order; all are waiting once the last is
wait_waiting(P) ->
    case erlang:process_info(P, status) of
        {status, waiting} -> ok;
        _ -> timer:sleep(1), wait_waiting(P)
    end.

%% --- tail: a process loops N times by tail calls; constant memory -----------------
tail(N) ->
    Main = self(),
    erlang:garbage_collect(),
    Before = erlang:memory(total),
    spawn(fun() ->
        {memory, M0} = erlang:process_info(self(), memory),
        T0 = now_ns(),
        0 = count(N),
        T1 = now_ns(),
        {memory, M1} = erlang:process_info(self(), memory),
        Main ! {tail, (T1 - T0) / 1000 / N, M1 - M0, erlang:memory(total) - Before}
    end),
    receive
        {tail, Us, ProcGrowth, TotalGrowth} ->
            [{iter_us, Us}, {process_growth_bytes, ProcGrowth}, {total_growth_bytes, TotalGrowth}]
    end.

count(0) -> 0;
count(N) -> count(N - 1).

%% --- genserver: N gen_server:call round trips to a counter; µs per call ----------
calls(N) ->
    {ok, Pid} = gen_server:start(bench_counter, 0, []),
    T0 = now_ns(),
    call_loop(Pid, N),
    T1 = now_ns(),
    gen_server:stop(Pid),
    (T1 - T0) / 1000 / N.

call_loop(_, 0) -> ok;
call_loop(Pid, N) -> _ = gen_server:call(Pid, get), call_loop(Pid, N - 1).

%% --- supervisor: a permanent child that crashes at once; restarts per second ------
%% N restarts in batches of Batch, a fresh supervisor (intensity Batch + 10 within
%% 1 s) per batch: the restart history a supervisor keeps stays as short as a real
%% configuration's; only the restarts are timed.
restarts(N, Batch) ->
    %% supervisor reports are not printed on either side: this measures restarts,
    %% not the logger (the livelong worker calls logging.disable the same way)
    ok = logger:set_primary_config(level, none),
    Ns = batch_sizes(N, Batch),
    Total = lists:sum([restart_batch(K, Batch) || K <- Ns]),
    N / (Total / 1.0e9).

batch_sizes(N, Batch) when N > Batch -> [Batch | batch_sizes(N - Batch, Batch)];
batch_sizes(N, _) -> [N].

restart_batch(K, Batch) ->
    {ok, Sup} = bench_sup:start(self(), Batch + 10),
    receive started -> ok end,
    T0 = now_ns(),
    wait_n(started, K),
    T1 = now_ns(),
    exit(Sup, shutdown),
    flush(),
    T1 - T0.

flush() -> receive _ -> flush() after 0 -> ok end.

%% --- call_backlog: gen_server:call with Backlog unrelated messages queued ---------
%% The caller times EmptyCalls calls with an empty mailbox, then sends itself Backlog
%% {junk, I} messages and times BacklogCalls calls: each reply is received by its
%% fresh monitor reference, which the receive markers let skip the older messages.
backlog_calls(Backlog, BacklogCalls, EmptyCalls) ->
    {ok, Pid} = gen_server:start(bench_counter, 0, []),
    T0 = now_ns(),
    call_loop(Pid, EmptyCalls),
    T1 = now_ns(),
    Me = self(),
    {message_queue_len, 0} = erlang:process_info(Me, message_queue_len),
    backlog_fill(Me, Backlog),
    T2 = now_ns(),
    call_loop(Pid, BacklogCalls),
    T3 = now_ns(),
    %% the calls took their replies only: the backlog is still there
    {message_queue_len, Backlog} = erlang:process_info(Me, message_queue_len),
    flush(),
    gen_server:stop(Pid),
    {(T3 - T2) / 1000 / BacklogCalls, (T1 - T0) / 1000 / EmptyCalls}.

backlog_fill(_, 0) -> ok;
backlog_fill(Me, I) -> Me ! {junk, I}, backlog_fill(Me, I - 1).

%% --- mass_restart: N permanent children killed at once; seconds until all are back --
%% A simple_one_for_one supervisor with N bench_counter children (intensity 2N within
%% 60 s); the clock runs from the first kill until which_children lists N pids, all
%% new and alive.
mass_restart(N) ->
    ok = logger:set_primary_config(level, none),
    {ok, Sup} = bench_dynsup:start(2 * N),
    Old = [begin {ok, P} = supervisor:start_child(Sup, [I]), P end || I <- lists:seq(1, N)],
    OldSet = maps:from_list([{P, true} || P <- Old]),
    T0 = now_ns(),
    [exit(P, kill) || P <- Old],
    wait_restarted(Sup, N, OldSet),
    T1 = now_ns(),
    exit(Sup, shutdown),
    wait_gone(Sup),
    (T1 - T0) / 1.0e9.

wait_restarted(Sup, N, OldSet) ->
    Pids = [P || {_, P, _, _} <- supervisor:which_children(Sup)],
    Done = length(Pids) =:= N andalso
        lists:all(fun(P) -> is_pid(P) andalso not maps:is_key(P, OldSet)
                                andalso is_process_alive(P) end, Pids),
    case Done of
        true -> ok;
        false -> wait_restarted(Sup, N, OldSet)
    end.

wait_gone(Pid) ->
    Ref = erlang:monitor(process, Pid),
    receive {'DOWN', Ref, process, Pid, _} -> ok end.
