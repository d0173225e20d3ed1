// The virtual machine the lab's clusters keep available (runbook 002): a
// 512-byte boot sector that announces itself on the serial port once and
// then prints a dot every second, halting in between. It stands in for a
// real guest operating system, which under QEMU's software emulation inside
// a software-emulated VM takes minutes to boot (docs/performance.md). The
// dots tell a resumed guest (dots go on, one announcement) from one booted
// again (a second announcement). Assembled with GNU as (.code16, origin 0,
// loaded at 0x7c00) and checked with objdump -mi8086:
//
//   cli; xor %ax,%ax; mov %ax,%ds; mov %ax,%ss; mov $0x7c00,%sp; sti; cld
//   mov $0x3f8,%dx                  ; COM1
//   mov $0x7c32,%si; call print     ; the announcement
//   tick:  mov 0x46c,%bx; add $18,%bx   ; BIOS timer ticks (18.2 per second)
//   wait:  hlt; mov 0x46c,%ax; cmp %bx,%ax; js wait
//          mov $'.',%al; out %al,%dx; jmp tick
//   print: lodsb; test %al,%al; jz 1f; out %al,%dx; jmp print; 1: ret
//   .ascii "haforge tiny guest up\r\n\0"

const CODE =
  'fa31c08ed88ed0bc007cfbfcbaf803be327ce814008b1e6c0483c312f4a16c0439d878f8b02eeeebecac84c07403eeebf8c3' +
  Buffer.from('haforge tiny guest up\r\n\0', 'latin1').toString('hex');

export const GUEST_ANNOUNCEMENT = 'haforge tiny guest up';

/** The boot sector: the code, zeros, the 0x55 0xaa signature. */
export function bootSector(): Buffer {
  const sector = Buffer.alloc(512);
  Buffer.from(CODE, 'hex').copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** A libvirt domain for it: software emulation, 16 MiB (and a 32 MiB code cache), its disk and its serial log in `dir`. */
export function domainXml(name: string, dir: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>16</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <!-- QEMU's code cache defaults to 1 GiB: as much as the whole lab VM has -->
  <features><tcg><tb-cache unit='MiB'>32</tb-cache></tcg></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${dir}/${name}.img'/>
      <target dev='hda' bus='ide'/>
    </disk>
    <serial type='file'>
      <source path='${dir}/${name}-console.log' append='on'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}
