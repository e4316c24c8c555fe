-- Wireshark / tshark dissector for OBMC/1, the Depthdesk order-book multicast protocol.
-- Layout: docs/PROTOCOLS.md (32-byte LE packet header, u16-length-prefixed SBE messages).
--
-- Usage:
--   tshark -X lua_script:resources/wireshark/obmc.lua -r capture.pcap -O obmc
--   tshark -X lua_script:resources/wireshark/obmc.lua -r capture.pcap -T fields \
--          -e obmc.seq -e obmc.msg.template -e obmc.book_seq
-- Or copy this file into Wireshark's personal plugins folder.
--
-- Found by a heuristic (magic "OB", version 1, packetLength == datagram size), so any port
-- works; "Decode As... OBMC" on udp.port forces it. Every field is read little-endian with
-- add_le. Walks messages by the wire messageLength (unknown templates are shown and skipped),
-- reads root fields at fixed offsets and entries through the group blockLength, exactly as the
-- TypeScript decoder does.

local obmc = Proto("obmc", "OBMC/1 order-book multicast")

local template_names = {
  [1] = "SystemEvent", [2] = "InstrumentDefinition", [3] = "InstrumentStatus",
  [4] = "BookDelta", [5] = "BookSnapshot", [6] = "Trade",
}
local channel_types = { [1] = "incremental", [2] = "snapshot loop" }
local event_codes = {
  [1] = "StartOfSession", [2] = "EndOfSession", [3] = "ChannelReset",
  [4] = "SnapshotCycleStart", [5] = "SnapshotCycleEnd",
}
local status_codes = {
  [1] = "TRADING", [2] = "HALTED", [3] = "VENUE_DISCONNECTED", [4] = "RESYNCING",
  [5] = "CLOSED", [6] = "UNKNOWN",
}
local sides = { [1] = "Bid", [2] = "Ask" }
local actions = { [1] = "Set", [2] = "Delete" }
local aggressors = { [0] = "unknown", [1] = "buy", [2] = "sell" }
local instrument_types = { [1] = "spot", [2] = "perpetual", [3] = "future", [4] = "option" }

local f = {
  magic = ProtoField.string("obmc.magic", "Magic"),
  version = ProtoField.uint8("obmc.version", "Version"),
  flags = ProtoField.uint8("obmc.flags", "Flags", base.HEX),
  flag_hb = ProtoField.bool("obmc.flags.heartbeat", "Heartbeat", 8, nil, 0x01),
  flag_eos = ProtoField.bool("obmc.flags.end_of_session", "End of session", 8, nil, 0x02),
  flag_rt = ProtoField.bool("obmc.flags.retransmit", "Retransmit", 8, nil, 0x04),
  flag_ss = ProtoField.bool("obmc.flags.session_start", "Session start", 8, nil, 0x08),
  channel = ProtoField.uint16("obmc.channel_id", "Channel id"),
  count = ProtoField.uint16("obmc.msg_count", "Message count"),
  session = ProtoField.uint32("obmc.session_id", "Session id", base.HEX),
  plen = ProtoField.uint16("obmc.packet_length", "Packet length"),
  ctype = ProtoField.uint8("obmc.channel_type", "Channel type", base.DEC, channel_types),
  seq = ProtoField.uint64("obmc.seq", "Sequence number"),
  stime = ProtoField.uint64("obmc.sending_time", "Sending time (ns)"),

  msg = ProtoField.none("obmc.msg", "Message"),
  mlen = ProtoField.uint16("obmc.msg.length", "Message length"),
  mblock = ProtoField.uint16("obmc.msg.block_length", "Block length"),
  mtemplate = ProtoField.uint16("obmc.msg.template", "Template id", base.DEC, template_names),
  mschema = ProtoField.uint16("obmc.msg.schema", "Schema id"),
  mversion = ProtoField.uint16("obmc.msg.version", "Schema version"),
  mseq = ProtoField.uint64("obmc.msg.seq", "Message seq (implied)"),

  timestamp = ProtoField.uint64("obmc.timestamp", "Timestamp (ns)"),
  event = ProtoField.uint8("obmc.event_code", "Event code", base.DEC, event_codes),
  icount = ProtoField.uint32("obmc.instrument_count", "Instrument count"),
  last_inc = ProtoField.uint64("obmc.last_incremental_seq", "Last incremental seq"),
  cycle = ProtoField.uint32("obmc.cycle_id", "Cycle id"),

  iid = ProtoField.uint32("obmc.instrument_id", "Instrument id"),
  defver = ProtoField.uint16("obmc.definition_version", "Definition version"),
  pexp = ProtoField.int8("obmc.price_exponent", "Price exponent"),
  sexp = ProtoField.int8("obmc.size_exponent", "Size exponent"),
  tick = ProtoField.int64("obmc.tick_size", "Tick size (mantissa)"),
  lot = ProtoField.int64("obmc.lot_size", "Lot size (mantissa)"),
  maxdepth = ProtoField.uint16("obmc.max_depth", "Max depth"),
  itype = ProtoField.uint8("obmc.instrument_type", "Instrument type", base.DEC, instrument_types),
  exchange = ProtoField.string("obmc.exchange", "Exchange"),
  symbol = ProtoField.string("obmc.symbol", "Symbol"),
  base_asset = ProtoField.string("obmc.base_asset", "Base asset"),
  quote_asset = ProtoField.string("obmc.quote_asset", "Quote asset"),

  status = ProtoField.uint8("obmc.status", "Status", base.DEC, status_codes),
  reason = ProtoField.uint8("obmc.reason", "Reason"),
  book_seq = ProtoField.uint64("obmc.book_seq", "Book seq"),
  trade_seq = ProtoField.uint64("obmc.trade_seq", "Trade seq"),
  checksum = ProtoField.uint32("obmc.book_checksum", "Book checksum"),

  bflags = ProtoField.uint8("obmc.book_flags", "Book flags", base.HEX),
  exch_time = ProtoField.uint64("obmc.exchange_time", "Exchange time (ns)"),
  chunk_index = ProtoField.uint16("obmc.chunk_index", "Chunk index"),
  chunk_count = ProtoField.uint16("obmc.chunk_count", "Chunk count"),
  depth = ProtoField.uint16("obmc.depth", "Depth"),
  group_block = ProtoField.uint16("obmc.group.block_length", "Entry block length"),
  group_count = ProtoField.uint16("obmc.group.count", "Entry count"),

  entry = ProtoField.none("obmc.entry", "Entry"),
  price = ProtoField.int64("obmc.entry.price", "Price (mantissa)"),
  size = ProtoField.int64("obmc.entry.size", "Size (mantissa)"),
  orders = ProtoField.uint32("obmc.entry.order_count", "Order count"),
  side = ProtoField.uint8("obmc.entry.side", "Side", base.DEC, sides),
  action = ProtoField.uint8("obmc.entry.action", "Action", base.DEC, actions),

  aggressor = ProtoField.uint8("obmc.trade.aggressor", "Aggressor side", base.DEC, aggressors),
  tflags = ProtoField.uint8("obmc.trade.flags", "Trade flags", base.HEX),
  tprice = ProtoField.int64("obmc.trade.price", "Price (mantissa)"),
  tsize = ProtoField.int64("obmc.trade.size", "Size (mantissa)"),
  trade_id = ProtoField.uint64("obmc.trade.venue_trade_id", "Venue trade id"),
}
local field_list = {}
for _, v in pairs(f) do field_list[#field_list + 1] = v end
obmc.fields = field_list

local ef = {
  length = ProtoExpert.new("obmc.expert.length", "packetLength differs from the datagram size",
    expert.group.MALFORMED, expert.severity.ERROR),
  overrun = ProtoExpert.new("obmc.expert.overrun", "messageLength < 10 or past the end of the packet",
    expert.group.MALFORMED, expert.severity.ERROR),
  version = ProtoExpert.new("obmc.expert.version", "Unknown wire version",
    expert.group.PROTOCOL, expert.severity.WARN),
  gap = ProtoExpert.new("obmc.expert.gap", "Sequence gap",
    expert.group.SEQUENCE, expert.severity.WARN),
  unknown = ProtoExpert.new("obmc.expert.unknown_template", "Unknown template skipped",
    expert.group.UNDECODED, expert.severity.NOTE),
  count = ProtoExpert.new("obmc.expert.count", "messageCount disagrees with the messages present",
    expert.group.MALFORMED, expert.severity.ERROR),
}
obmc.experts = { ef.length, ef.overrun, ef.version, ef.gap, ef.unknown, ef.count }

-- Gap detection per (channel, channelType, session). Wireshark dissects packets again when the
-- tree is redrawn, so the verdict is computed on the first pass only and remembered by frame.
local next_seq = {}
local gap_of_frame = {}

local function u64(tvb, at) return tvb(at, 8):le_uint64() end

local function add_entries(tree, tvb, at, stop)
  if at + 4 > stop then
    tree:add_proto_expert_info(ef.overrun, "entry group header runs past the message")
    return
  end
  local blen = tvb(at, 2):le_uint()
  local n = tvb(at + 2, 2):le_uint()
  tree:add_le(f.group_block, tvb(at, 2))
  tree:add_le(f.group_count, tvb(at + 2, 2))
  local e = at + 4
  for i = 1, n do
    if blen < 24 or e + blen > stop then
      tree:add_proto_expert_info(ef.overrun, "entries run past the message")
      return
    end
    local side = tvb(e + 20, 1):uint()
    local action = tvb(e + 21, 1):uint()
    local label = string.format("Entry %d: %s %s %s @ %s", i, sides[side] or "?", actions[action] or "?",
      tostring(tvb(e, 8):le_int64()), tostring(tvb(e + 8, 8):le_int64()))
    local et = tree:add(f.entry, tvb(e, blen))
    et:set_text(label)
    et:add_le(f.price, tvb(e, 8))
    et:add_le(f.size, tvb(e + 8, 8))
    et:add_le(f.orders, tvb(e + 16, 4))
    et:add_le(f.side, tvb(e + 20, 1))
    et:add_le(f.action, tvb(e + 21, 1))
    e = e + blen
  end
end

-- Root fields per template; `b` is the root block start, `stop` the message end.
local function add_body(t, tvb, template, b, blen, stop)
  if template == 1 and blen >= 32 then
    t:add_le(f.timestamp, tvb(b, 8))
    t:add_le(f.event, tvb(b + 8, 1))
    t:add_le(f.icount, tvb(b + 12, 4))
    t:add_le(f.last_inc, tvb(b + 16, 8))
    t:add_le(f.cycle, tvb(b + 24, 4))
  elseif template == 2 and blen >= 116 then
    t:add_le(f.iid, tvb(b, 4))
    t:add_le(f.defver, tvb(b + 4, 2))
    t:add_le(f.pexp, tvb(b + 6, 1))
    t:add_le(f.sexp, tvb(b + 7, 1))
    t:add_le(f.tick, tvb(b + 8, 8))
    t:add_le(f.lot, tvb(b + 16, 8))
    t:add_le(f.timestamp, tvb(b + 24, 8))
    t:add_le(f.maxdepth, tvb(b + 32, 2))
    t:add_le(f.itype, tvb(b + 34, 1))
    t:add(f.exchange, tvb(b + 36, 16), tvb(b + 36, 16):stringz())
    t:add(f.symbol, tvb(b + 52, 32), tvb(b + 52, 32):stringz())
    t:add(f.base_asset, tvb(b + 84, 16), tvb(b + 84, 16):stringz())
    t:add(f.quote_asset, tvb(b + 100, 16), tvb(b + 100, 16):stringz())
  elseif template == 3 and blen >= 40 then
    t:add_le(f.iid, tvb(b, 4))
    t:add_le(f.status, tvb(b + 4, 1))
    t:add_le(f.reason, tvb(b + 5, 1))
    t:add_le(f.book_seq, tvb(b + 8, 8))
    t:add_le(f.trade_seq, tvb(b + 16, 8))
    t:add_le(f.timestamp, tvb(b + 24, 8))
    t:add_le(f.checksum, tvb(b + 32, 4))
  elseif template == 4 and blen >= 24 then
    t:add_le(f.iid, tvb(b, 4))
    t:add_le(f.pexp, tvb(b + 4, 1))
    t:add_le(f.sexp, tvb(b + 5, 1))
    t:add_le(f.bflags, tvb(b + 6, 1))
    t:add_le(f.book_seq, tvb(b + 8, 8))
    t:add_le(f.exch_time, tvb(b + 16, 8))
    add_entries(t, tvb, b + blen, stop)
  elseif template == 5 and blen >= 48 then
    t:add_le(f.iid, tvb(b, 4))
    t:add_le(f.pexp, tvb(b + 4, 1))
    t:add_le(f.sexp, tvb(b + 5, 1))
    t:add_le(f.bflags, tvb(b + 6, 1))
    t:add_le(f.status, tvb(b + 7, 1))
    t:add_le(f.book_seq, tvb(b + 8, 8))
    t:add_le(f.last_inc, tvb(b + 16, 8))
    t:add_le(f.exch_time, tvb(b + 24, 8))
    t:add_le(f.chunk_index, tvb(b + 32, 2))
    t:add_le(f.chunk_count, tvb(b + 34, 2))
    t:add_le(f.depth, tvb(b + 36, 2))
    t:add_le(f.checksum, tvb(b + 40, 4))
    add_entries(t, tvb, b + blen, stop)
  elseif template == 6 and blen >= 48 then
    t:add_le(f.iid, tvb(b, 4))
    t:add_le(f.pexp, tvb(b + 4, 1))
    t:add_le(f.sexp, tvb(b + 5, 1))
    t:add_le(f.aggressor, tvb(b + 6, 1))
    t:add_le(f.tflags, tvb(b + 7, 1))
    t:add_le(f.trade_seq, tvb(b + 8, 8))
    t:add_le(f.tprice, tvb(b + 16, 8))
    t:add_le(f.tsize, tvb(b + 24, 8))
    t:add_le(f.exch_time, tvb(b + 32, 8))
    t:add_le(f.trade_id, tvb(b + 40, 8))
  else
    t:add_proto_expert_info(ef.unknown)
  end
end

local function dissect(tvb, pinfo, tree)
  local n = tvb:reported_length_remaining()
  pinfo.cols.protocol = "OBMC"
  local root = tree:add(obmc, tvb(), "OBMC/1 order-book multicast")
  local h = root:add(tvb(0, 32), "Packet header")
  h:add(f.magic, tvb(0, 2))
  h:add_le(f.version, tvb(2, 1))
  local version = tvb(2, 1):uint()
  if version ~= 1 then h:add_proto_expert_info(ef.version) end
  local ft = h:add_le(f.flags, tvb(3, 1))
  ft:add_le(f.flag_hb, tvb(3, 1))
  ft:add_le(f.flag_eos, tvb(3, 1))
  ft:add_le(f.flag_rt, tvb(3, 1))
  ft:add_le(f.flag_ss, tvb(3, 1))
  h:add_le(f.channel, tvb(4, 2))
  h:add_le(f.count, tvb(6, 2))
  h:add_le(f.session, tvb(8, 4))
  local plen_item = h:add_le(f.plen, tvb(12, 2))
  h:add_le(f.ctype, tvb(14, 1))
  h:add_le(f.seq, tvb(16, 8))
  h:add_le(f.stime, tvb(24, 8))

  local flags = tvb(3, 1):uint()
  local channel = tvb(4, 2):le_uint()
  local count = tvb(6, 2):le_uint()
  local session = tvb(8, 4):le_uint()
  local plen = tvb(12, 2):le_uint()
  local ctype = tvb(14, 1):uint()
  local seq = u64(tvb, 16)
  if plen ~= n then plen_item:add_proto_expert_info(ef.length) end

  -- Sequence gap per (channel, channelType, session), first pass only.
  local key = string.format("%d/%d/%d", channel, ctype, session)
  if not pinfo.visited then
    local expected = next_seq[key]
    if expected ~= nil and seq > expected then
      gap_of_frame[pinfo.number] = string.format("expected seq %s, got %s (%s missing)",
        tostring(expected), tostring(seq), tostring(seq - expected))
    end
    if expected == nil or seq + count > expected then next_seq[key] = seq + count end
  end
  if gap_of_frame[pinfo.number] then
    h:add_proto_expert_info(ef.gap, "Sequence gap: " .. gap_of_frame[pinfo.number])
  end

  local kind
  if bit32.band(flags, 0x02) ~= 0 then kind = "EndOfSession"
  elseif bit32.band(flags, 0x01) ~= 0 then kind = "Heartbeat"
  else kind = string.format("%d msg", count) end
  pinfo.cols.info = string.format("OBMC ch=%d %s seq=%s %s", channel, channel_types[ctype] or "?",
    tostring(seq), kind)

  local at = 32
  local stop = math.min(plen, n)
  local index = 0
  local names = {}
  while at < stop do
    if at + 10 > stop then
      root:add_proto_expert_info(ef.overrun, "message header runs past the packet")
      break
    end
    local mlen = tvb(at, 2):le_uint()
    if mlen < 10 or at + mlen > stop then
      root:add_proto_expert_info(ef.overrun)
      break
    end
    local blen = tvb(at + 2, 2):le_uint()
    local template = tvb(at + 4, 2):le_uint()
    local name = template_names[template] or string.format("Unknown(%d)", template)
    names[#names + 1] = name
    local t = root:add(f.msg, tvb(at, mlen))
    t:set_text(string.format("Message %d: %s", index + 1, name))
    t:add_le(f.mlen, tvb(at, 2))
    t:add_le(f.mblock, tvb(at + 2, 2))
    t:add_le(f.mtemplate, tvb(at + 4, 2))
    t:add_le(f.mschema, tvb(at + 6, 2))
    t:add_le(f.mversion, tvb(at + 8, 2))
    t:add(f.mseq, seq + index):set_generated()
    local b = at + 10
    if tvb(at + 6, 2):le_uint() ~= 1 or b + blen > at + mlen then
      t:add_proto_expert_info(ef.unknown)
    else
      add_body(t, tvb, template, b, blen, at + mlen)
    end
    at = at + mlen
    index = index + 1
  end
  if index ~= count then root:add_proto_expert_info(ef.count) end
  if #names > 0 then pinfo.cols.info:append(" [" .. table.concat(names, ", ") .. "]") end
  return n
end

function obmc.dissector(tvb, pinfo, tree)
  if tvb:len() < 32 then return 0 end
  return dissect(tvb, pinfo, tree)
end

-- Heuristic: "OB", version 1 and a packetLength equal to the datagram, so a stray UDP packet
-- that happens to start with "OB" is left to other dissectors.
local function heuristic(tvb, pinfo, tree)
  if tvb:len() < 32 then return false end
  if tvb(0, 1):uint() ~= 0x4f or tvb(1, 1):uint() ~= 0x42 or tvb(2, 1):uint() ~= 1 then return false end
  if tvb(12, 2):le_uint() ~= tvb:reported_length_remaining() then return false end
  dissect(tvb, pinfo, tree)
  return true
end

obmc:register_heuristic("udp", heuristic)
DissectorTable.get("udp.port"):add_for_decode_as(obmc)

function obmc.init()
  next_seq = {}
  gap_of_frame = {}
end
