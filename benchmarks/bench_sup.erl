%% The supervisor of the restart benchmark: one permanent child that tells the
%% driver it started and exits with reason `crash` at once.
-module(bench_sup).
-behaviour(supervisor).
-export([start/2, init/1, start_crasher/1]).

start(Driver, Intensity) ->
    {ok, Sup} = supervisor:start_link(?MODULE, {Driver, Intensity}),
    unlink(Sup),
    {ok, Sup}.

init({Driver, Intensity}) ->
    Flags = #{strategy => one_for_one, intensity => Intensity, period => 1},
    Child = #{id => crasher,
              start => {?MODULE, start_crasher, [Driver]},
              restart => permanent,
              shutdown => brutal_kill,
              type => worker},
    {ok, {Flags, [Child]}}.

start_crasher(Driver) ->
    {ok, spawn_link(fun() -> Driver ! started, exit(crash) end)}.
