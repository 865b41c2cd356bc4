/*
 * kasou's DSDT: the i440FX/PIIX3/PIIX4 PC as the operating system should see it
 * through ACPI (compiled by iasl at build time, embedded in kasou, handed to
 * SeaBIOS through fw_cfg by firmware/acpi.cpp).
 *
 * What is here, and why:
 * - \_SB.PCI0: the host bridge (PNP0A03) with its windows, so the OS enumerates
 *   PCI through ACPI; the 32-bit memory window starts at PMIN, which kasou patches
 *   to where SeaBIOS places BARs for the machine's RAM size.
 * - _PRT and the link devices LNKA-LNKD: PCI interrupts go through the PIIX3's
 *   PIRQ route control registers (config 0x60-0x63 of 00:01.0); slot s, pin p
 *   (0 = INTA#) reaches PIRQ (s + p - 1) & 3, as devices/pci.h wires the board.
 *   Slot 1 INTA# is the PM function's SCI, fixed at IRQ 9 (LNKS).
 * - The ISA devices of the board (RTC, keyboard, mouse, COM1/COM2, PIT, PIC, DMA
 *   page registers are not listed: no ISA DMA device exists).
 * - \_S5: soft-off is SUS_TYP 0 in the PIIX4's PM1a control register.
 * There is no local APIC or I/O APIC, so there is no MADT and nothing here refers
 * to one; the interrupt model is the 8259 pair (\_PIC(0)).
 */
DefinitionBlock ("", "DSDT", 1, "KASOU ", "KASOUPC ", 1)
{
    Method (_PIC, 1, NotSerialized)
    {
        /* Only the PIC model exists: nothing to switch. */
    }

    Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero })

    Scope (\_SB)
    {
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A03"))
            Name (_UID, Zero)

            /* Start of the 32-bit PCI memory window (patched by kasou). */
            Name (PMIN, 0x80000000)

            Name (CRES, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0x80000000, 0xFEBFFFFF, 0x00000000, 0x7EC00000, , , PW32)
            })

            Method (_CRS, 0, NotSerialized)
            {
                CreateDWordField (CRES, \_SB.PCI0.PW32._MIN, WMIN)
                CreateDWordField (CRES, \_SB.PCI0.PW32._LEN, WLEN)
                WMIN = PMIN
                WLEN = (0xFEC00000 - PMIN)
                Return (CRES)
            }

            /* 32 slots x 4 pins, built at run time: {address, pin, link, 0}. */
            Method (_PRT, 0, NotSerialized)
            {
                Local0 = Package (0x80) {}
                Local1 = Zero
                While (Local1 < 0x80)
                {
                    Local2 = (Local1 >> 0x02)            /* slot */
                    Local3 = (Local1 & 0x03)             /* pin, 0 = INTA# */
                    Local4 = ((Local2 + Local3 + 0x03) & 0x03)  /* PIRQ */
                    If ((Local2 == One) && (Local3 == Zero))
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKS, Zero }
                    }
                    ElseIf (Local4 == Zero)
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKA, Zero }
                    }
                    ElseIf (Local4 == One)
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKB, Zero }
                    }
                    ElseIf (Local4 == 0x02)
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKC, Zero }
                    }
                    Else
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKD, Zero }
                    }
                    Local5 [Zero] = ((Local2 << 0x10) | 0xFFFF)
                    Local5 [One] = Local3
                    Local0 [Local1] = Local5
                    Local1++
                }
                Return (Local0)
            }

            /* 00:01.0, the PIIX3 PCI-to-ISA bridge. */
            Device (ISA)
            {
                Name (_ADR, 0x00010000)
                OperationRegion (PIRQ, PCI_Config, 0x60, 0x04)

                Device (RTC)
                {
                    Name (_HID, EisaId ("PNP0B00"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0070, 0x0070, 0x10, 0x02)
                        IRQNoFlags () {8}
                    })
                }

                Device (KBD)
                {
                    Name (_HID, EisaId ("PNP0303"))
                    Name (_STA, 0x0F)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
                        IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
                        IRQNoFlags () {1}
                    })
                }

                Device (MOU)
                {
                    Name (_HID, EisaId ("PNP0F13"))
                    Name (_STA, 0x0F)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IRQNoFlags () {12}
                    })
                }

                Device (COM1)
                {
                    Name (_HID, EisaId ("PNP0501"))
                    Name (_UID, One)
                    Name (_STA, 0x0F)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08)
                        IRQNoFlags () {4}
                    })
                }

                Device (COM2)
                {
                    Name (_HID, EisaId ("PNP0501"))
                    Name (_UID, 0x02)
                    Name (_STA, 0x0F)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x02F8, 0x02F8, 0x00, 0x08)
                        IRQNoFlags () {3}
                    })
                }

                Device (TMR)
                {
                    Name (_HID, EisaId ("PNP0100"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0040, 0x0040, 0x00, 0x04)
                        IRQNoFlags () {0}
                    })
                }

                Device (PIC)
                {
                    Name (_HID, EisaId ("PNP0000"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0020, 0x0020, 0x00, 0x02)
                        IO (Decode16, 0x00A0, 0x00A0, 0x00, 0x02)
                        IO (Decode16, 0x04D0, 0x04D0, 0x00, 0x02)
                        IRQNoFlags () {2}
                    })
                }
            }
        }

        Field (PCI0.ISA.PIRQ, ByteAcc, NoLock, Preserve)
        {
            PRQ0, 8,
            PRQ1, 8,
            PRQ2, 8,
            PRQ3, 8
        }

        /* _STA of a link: bit 7 of its route register disables it. */
        Method (IQST, 1, NotSerialized)
        {
            If ((0x80 & Arg0))
            {
                Return (0x09)
            }
            Return (0x0B)
        }

        /* _CRS of a link: the IRQ in its route register (none while disabled). */
        Method (IQCR, 1, Serialized)
        {
            Local0 = ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , ,) {0}
            }
            /* The first interrupt number of an extended interrupt descriptor. */
            CreateDWordField (Local0, 0x05, PRRV)
            If ((Arg0 < 0x80))
            {
                PRRV = Arg0
            }
            Return (Local0)
        }

        Name (PRSA, ResourceTemplate ()
        {
            Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , ,) {5, 10, 11}
        })

        Device (LNKA)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, One)
            Method (_PRS, 0, NotSerialized) { Return (PRSA) }
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQ0)) }
            Method (_DIS, 0, NotSerialized) { PRQ0 |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQ0)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQ0 = PRRI
            }
        }

        Device (LNKB)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0x02)
            Method (_PRS, 0, NotSerialized) { Return (PRSA) }
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQ1)) }
            Method (_DIS, 0, NotSerialized) { PRQ1 |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQ1)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQ1 = PRRI
            }
        }

        Device (LNKC)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0x03)
            Method (_PRS, 0, NotSerialized) { Return (PRSA) }
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQ2)) }
            Method (_DIS, 0, NotSerialized) { PRQ2 |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQ2)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQ2 = PRRI
            }
        }

        Device (LNKD)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0x04)
            Method (_PRS, 0, NotSerialized) { Return (PRSA) }
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQ3)) }
            Method (_DIS, 0, NotSerialized) { PRQ3 |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQ3)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQ3 = PRRI
            }
        }

        /* The PM function's SCI: hard-wired to IRQ 9. */
        Device (LNKS)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0x05)
            Name (_STA, 0x0B)
            Name (_PRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , ,) {9}
            })
            Method (_SRS, 1, NotSerialized) { }
            Method (_DIS, 0, NotSerialized) { }
            Method (_CRS, 0, NotSerialized) { Return (_PRS) }
        }

        Device (CPU0)
        {
            Name (_HID, "ACPI0007")
            Name (_UID, Zero)
        }
    }
}
